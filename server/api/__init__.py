"""HTTP routes, one module per resource. Routes parse, call a service, serialise."""
