"""PostgreSQL: the connection pool and its error mapping (``pool``), the one MetaData (``metadata``), column
conventions (``columns``), keyset paging (``paging``), row helpers (``rows``), the embedded server
(``embedded``) and how a command-line process attaches to its database (``attached``)."""
