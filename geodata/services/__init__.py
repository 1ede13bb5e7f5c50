"""Writes of places, one module per job; every other module imports them from here.

- ``towns``: the one write path for towns (``town_check``, ``town_save``, ``towns_save_many``) and the
  re-assignment of towns to areas;
- ``admin_areas``: the same for areas (``admin_area_check``, ``admin_area_save``, ``admin_areas_save_many``);
- ``placement``: where a town falls (the spatial join against the loaded boundaries);
- ``area_loading`` and ``town_loading``: the boundary and town file loaders, which check a whole
  file and then write through the bulk saves above;
- ``records``: what the kinds share (field rules per record, keys and uniqueness per batch, the bulk write).
"""

from .admin_areas import GEOMETRY_GRID_DEG, admin_area_check, admin_area_save, admin_areas_save_many, geometry_json
from .area_loading import REPLACE_SHARE, BoundaryLoadError, BoundaryLoadReport, admin_areas_load
from .placement import Placement, outside_message, towns_place
from .records import RecordsInvalid
from .theatres import theatre_check, theatre_create, theatre_credit_from_preset, theatre_first, theatre_save
from .town_loading import TownLoadReport, towns_load
from .towns import AssignmentReport, town_check, town_save, towns_assign_admin_areas, towns_check_many, towns_save_many

__all__ = [
    "GEOMETRY_GRID_DEG", "REPLACE_SHARE", "AssignmentReport", "BoundaryLoadError", "BoundaryLoadReport", "Placement",
    "RecordsInvalid", "TownLoadReport", "admin_area_check", "admin_area_save", "admin_areas_load",
    "admin_areas_save_many", "geometry_json", "outside_message", "theatre_check", "theatre_create",
    "theatre_credit_from_preset", "theatre_first", "theatre_save", "town_check", "town_save",
    "towns_assign_admin_areas",
    "towns_check_many", "towns_load", "towns_place", "towns_save_many",
]
