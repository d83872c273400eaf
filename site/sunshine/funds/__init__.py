"""Funds (资金下达 and 资金支出) and the tamper-evident public record shared with projects."""
