"""Projects (扶贫项目): lifecycle, budget, funding, beneficiaries and progress updates."""
