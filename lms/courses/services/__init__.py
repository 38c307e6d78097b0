"""The courses plugin's domain logic, one module per area; views, CLI and API all call it.

`from lms.courses import services` keeps the programme functions at package level."""
from lms.courses.services.programmes import (  # noqa: F401
    HourPlan, LoadReport, PlanRow, approve, can_see, catalogue, create_programme, delete_material,
    delete_topic, export_programme, get_programme, hour_plan, load_content, new_version, normalize,
    materials_for, parse_hours, programme_context, programme_to_data, reads_staff_materials, render_markdown,
    save_material, save_module, save_topic, update_programme, versions,
)
