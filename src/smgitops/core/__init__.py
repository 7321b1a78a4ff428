"""The pure core: desired state, resource definitions, names, live state, the planner and
the report. Nothing here calls AWS, starts a process or touches the filesystem."""
