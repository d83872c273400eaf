"""The public record shared by the features that publish: the hash-chained ledger, record
states, the back-office record views, keyset paging, exact money, CSV export and the summary
tables. Knows no feature; features register their record types in their ``init_app``."""
