"""Use cases: gather inputs, call the pure core (shared/ and the pure parts here), apply the outputs."""
