"""Administration: sites, departments, staff, devices and their credentials."""
