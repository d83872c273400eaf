"""Funds (资金下达 and 资金支出): allocations, their lines and spending."""
