"""Statistics for members, operators and the admin dashboard (no Litestar here)."""
