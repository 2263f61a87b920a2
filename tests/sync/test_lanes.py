"""`bot.sync.lanes`: a round's schedules handed out per connection (bucket)."""

from __future__ import annotations

import threading
import time

from bot.sync.lanes import LOCAL, MAX_WIDTH, Job, Lanes, lane_width, workers_for


def jobs(lanes_of: dict[int, str]) -> list[Job]:
    return [Job(sid, "T1", frozenset(lanes.split("+")) if lanes else frozenset()) for sid, lanes in lanes_of.items()]


def test_widths_follow_the_bucket_rate():
    assert lane_width(900 / 60) == MAX_WIDTH and lane_width(600 / 60) == 4 and lane_width(0.1) == 1
    assert workers_for({"pd": 6, "og": 4}) == 10 and workers_for({f"k{i}": 6 for i in range(10)}) == 12


def test_the_lane_with_the_most_work_per_rate_is_fed_first_and_no_lane_passes_its_width():
    work = jobs({1: "pd", 2: "pd", 3: "og", 4: "og", 5: "og", 6: "og"})
    lanes = Lanes(work, {"pd": 1, "og": 2}, {"pd": 15.0, "og": 10.0})
    first = [lanes.take() for _ in range(3)]
    assert [j.schedule_id for j in first] == [3, 4, 1], "og (4 left at 10/s) before pd (2 at 15/s)"
    # every lane is full now: the next take waits until one of its schedules is done
    got: list[Job | None] = []
    t = threading.Thread(target=lambda: got.append(lanes.take()))
    t.start()
    time.sleep(0.05)
    assert got == [], "og has 2 in flight (its width) and pd 1"
    lanes.done(first[2])
    t.join(1)
    assert [j.schedule_id for j in got] == [2]


def test_a_schedule_on_two_lanes_counts_in_both_and_every_schedule_runs_once():
    work = jobs({1: "pd+og", 2: "pd", 3: "og", 4: "", 5: "pd+og"})
    lanes = Lanes(work, {"pd": 1, "og": 1}, {"pd": 15.0, "og": 10.0})
    a = lanes.take()
    assert a.schedule_id == 1
    b = lanes.take()
    assert b.lanes == frozenset({LOCAL}), "pd and og are both busy with schedule 1"
    lanes.done(a)
    lanes.done(b)
    seen = []
    while (j := lanes.take()) is not None:
        seen.append(j.schedule_id)
        lanes.done(j)
    assert sorted([1, 4, *seen]) == [1, 2, 3, 4, 5]


def test_threads_drain_the_round_within_the_widths():
    work = jobs({i: ("pd" if i % 3 else "og") for i in range(60)})
    lanes = Lanes(work, {"pd": 3, "og": 2}, {"pd": 15.0, "og": 10.0})
    busy = {"pd": 0, "og": 0}
    peak = {"pd": 0, "og": 0}
    guard = threading.Lock()
    done = []

    def worker():
        while (j := lanes.take()) is not None:
            (lane,) = j.lanes
            with guard:
                busy[lane] += 1
                peak[lane] = max(peak[lane], busy[lane])
            time.sleep(0.002)
            with guard:
                busy[lane] -= 1
                done.append(j.schedule_id)
            lanes.done(j)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(done) == list(range(60))
    assert peak == {"pd": 3, "og": 2}
