"""Domain tables: land-use schemes and codes, land-use change paths, industry codes and rules."""
