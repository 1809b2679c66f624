"""The synthetic demo zone: a seeded generator, its files, and the public cases' briefs."""

from .zone import PUBLIC_BRIEFS, DemoZone, generate_zone, read_zone, write_zone

__all__ = ["PUBLIC_BRIEFS", "DemoZone", "generate_zone", "read_zone", "write_zone"]
