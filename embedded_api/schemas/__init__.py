"""Request and response schemas, one module per API area (what comes in and what goes out)."""
