"""Analysis jobs in a background thread of the serving process, recorded in the service state
so their status survives a restart (a job left running by a dead process is marked failed)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from graphsvc.errors import GraphsvcError
from graphsvc.jobs.analyze import analyze
from graphsvc.jobs.seeds import SeedRequest, choose_seeds
from graphsvc.model import AnalysisParams
from graphsvc.service.state import Job, JobStatus, ServiceState
from graphsvc.store.base import GraphStore

__all__ = ["ANALYZE", "INTERRUPTED", "SEEDS", "JobRunner"]

log = logging.getLogger(__name__)

ANALYZE = "analyze"
SEEDS = "seeds"
INTERRUPTED = "interrupted by restart"
OnFinished = Callable[[str, JobStatus, float], None]


class JobRunner:
    """Starts analysis jobs (``params`` overridden per job) and seeding jobs on ``store``; one
    of each kind at a time.

    On creation, jobs still queued or running in ``state`` belong to a process that is gone
    (jobs never outlive their process): they are marked failed.
    """

    def __init__(
        self,
        state: ServiceState,
        store: GraphStore,
        params: AnalysisParams,
        on_finished: OnFinished | None = None,
    ) -> None:
        self.state, self.store, self.params = state, store, params
        self.on_finished = on_finished or (lambda kind, status, seconds: None)
        self._threads: list[threading.Thread] = []
        state.interrupt_jobs(INTERRUPTED)

    def start_analysis(
        self, overrides: dict[str, Any], force: bool, cold: bool = False, refresh: bool = False
    ) -> Job:
        """Record a queued analysis (ConflictError if one is active) and start its thread."""
        params = replace(self.params, **overrides)
        flags = {"force": force, "cold": cold, "refresh": refresh}
        job = self.state.create_job(ANALYZE, {**overrides, **flags})

        def work(on_stage: Callable[[str], None]) -> dict[str, Any]:
            outcome = analyze(self.store, params, **flags, on_stage=on_stage)
            return {"run_id": outcome.run.run_id, "up_to_date": outcome.up_to_date}

        return self._start(job, work)

    def _start(self, job: Job, work: Callable[[Callable[[str], None]], dict[str, Any]]) -> Job:
        thread = threading.Thread(target=self._run, args=(job, work), name=job.job_id, daemon=True)
        thread.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        return job

    def start_seeds(self, request: SeedRequest) -> Job:
        """Record a queued seeding job (ConflictError if one is active) and start its thread;
        its seeds are stored under the job's id."""
        job = self.state.create_job(SEEDS, request.as_dict())

        def work(on_stage: Callable[[str], None]) -> dict[str, Any]:
            seeds = choose_seeds(
                self.store, request, self.params, seeds_id=job.job_id, on_stage=on_stage
            )
            return {"run_id": seeds.run_id}

        return self._start(job, work)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for this runner's jobs to finish (shutdown, tests); True if none is left."""
        for thread in list(self._threads):
            thread.join(timeout)
        return not any(t.is_alive() for t in self._threads)

    def _run(self, job: Job, work: Callable[[Callable[[str], None]], dict[str, Any]]) -> None:
        started = time.time()
        self.state.update_job(job.job_id, status=JobStatus.RUNNING, started_at=started)
        try:
            fields = work(lambda stage: self.state.add_stage(job.job_id, stage))
        except Exception as e:  # a job's failure is its record, never the server's
            log.exception("job %s failed", job.job_id)
            message = str(e) if isinstance(e, GraphsvcError) else "internal error: see the log"
            status, fields = JobStatus.FAILED, {"error": message}
        else:
            status = JobStatus.SUCCEEDED
        finished = time.time()
        self.state.update_job(job.job_id, status=status, finished_at=finished, **fields)
        self.on_finished(job.kind, status, finished - started)
