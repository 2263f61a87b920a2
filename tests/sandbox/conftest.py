from tests.sync_io.conftest import job_module  # noqa: F401  (bot.sync.job, forgotten again afterwards)
