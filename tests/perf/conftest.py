from tests.sync_io.conftest import job_module  # noqa: F401 (the fixture, for the sync round)
