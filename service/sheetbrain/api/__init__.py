"""HTTP controllers: parse, call the domain, respond. No SQL, no decisions."""
