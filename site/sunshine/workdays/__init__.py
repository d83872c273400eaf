"""The working-day calendar (工作日历): which days count when a deadline is counted in
working days — a complaint's reply, a notice's period, a disclosure's deadline."""
