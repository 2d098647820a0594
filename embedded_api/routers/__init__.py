"""One router module per API area or partner spec, named after it."""
