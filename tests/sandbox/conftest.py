from tests.sync_io.conftest import job_module  # noqa: F401  (bot.jobs: the sync round and the scheduler)
