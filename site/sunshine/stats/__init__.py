"""扶贫数据: the private register of 建档立卡 households, its rollups, disclosure control and the
public statistics pages."""
