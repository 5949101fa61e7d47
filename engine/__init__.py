"""The ANCT workflow engine: BPMN/DMN definitions, instances, tasks, timers and their store.

Nothing in this package knows about HTTP; the web application and the CLI call the
service layer (`engine.service`).
"""
