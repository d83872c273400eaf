"""投诉举报 / 意见建议 / 满意度评价: cases with private tracking codes (issue 6)."""
