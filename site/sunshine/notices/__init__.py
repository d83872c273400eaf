"""公示公告: notices of identification, exit, monitoring, projects and funds, objections (异议)
during the notice period, the result announcement and the printable page (issue 7)."""
