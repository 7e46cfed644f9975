"""The HTTP shell: middleware, probes and the one place errors become HTTP responses."""
