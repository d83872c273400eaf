"""News (扶贫动态) and policy guides (政策导航): Markdown files and back-office articles."""
