"""Clinic-wide assignment of many pending series: a greedy baseline and a CP-SAT optimiser.

Every pending session is either placed inside its window or left unplaced with the reason; a
session whose predecessor is unplaced is unplaced too (its window hangs on the predecessor's day).
The window of a series' next session is ``min``–``max`` weeks after its previous session; a first
session's is its earliest day (first allowed date, and 7 days of pre-care after ``today``) and the
``first_session_days`` after it. Nothing is placed after ``until``.

**Greedy** (:func:`assign_greedy`): series in order of their earliest day; each session on the
first day of its window, in order of preference (the default interval first, then one day off,
and so on; a first session as early as possible), that has a free slot; within the day the slot
with the fewest preference points. This is what booking the series one by one at the desk gives.

**CP-SAT** (:func:`assign_optimised`): a rolling horizon over days with a day-level capacity model
and exact slot assignment afterwards (a single model over the half-year would need a boolean per
session and reachable day, about 400,000 at 2,000 series). At each stage (``commit_days``, a week
by default) a CP-SAT model looks ``lookahead_days`` further ahead:

- a boolean ``x[s, d]`` for each session ``s`` that may be placed and each open day ``d`` of its
  window inside the stage's horizon: for every active series its next session (window known,
  since its previous session is fixed) and the session after it (window relative to the next
  one's day, as a linear constraint enforced only when both are placed);
- at most one day per session; the follower only if its predecessor is placed;
- per day, the sessions' minutes (turnover and the slot grid included) fit the day's free
  practitioner, room and device minutes (counted in whole appointments per free stretch);
- admission: new series start only while the remaining capacity of the horizon can carry the
  series under way and the new ones at their default intervals (else many more series start than
  can be continued, and break off mid-way);
- maximise: a reward per placed session (highest when its window closes within the horizon, lower
  when it could still be placed later, lowest for a follower, which only looks ahead; more for a
  series under way and for each later session still within reach) minus preference points (days
  away from the default interval or the earliest day, weekdays).

A greedy solution of the stage model (sessions by closing window) is the solver's hint and the
fallback when it finds nothing in time. The sessions the model puts in the committed week are then
given exact slots day by day (longest first, :meth:`~.slots.Occupancy.best_slot`: time of day,
practitioner, room, device); one that no longer fits is tried on the other days of its window in
that week, else it returns to the pool. Sessions whose window closes this week and that the model
left out get a last greedy attempt. The time limit is shared out over the stages (unused time
moves on); each solve returns its best solution found. The better of this and the greedy result
(sessions in window, then preference points) is returned, so the optimiser never does worse than
the baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import Booking, ClinicCalendar
from microneedling.scheduling.series import (
    PRECARE_LEAD_DAYS,
    Appointment,
    PatientPreferences,
    SeriesRequest,
)
from microneedling.scheduling.slots import (
    DEFAULT_WEIGHTS,
    Occupancy,
    SlotRequest,
    Weights,
)

if TYPE_CHECKING:  # OR-Tools (with pandas) takes half a second to import: only when optimising
    from ortools.sat.python import cp_model

FIRST_SESSION_DAYS = 28

# Objective rewards (points per placed session); preference points are far smaller.
_REWARD_CLOSING = 1000
_REWARD_OPEN = 700
_REWARD_FOLLOWER = 300
_REWARD_FUTURE = 100  # per session a placement keeps within reach
_REWARD_CONTINUING = 400  # a series under way goes before a new one
_ADMISSION = 0.95  # share of the remaining capacity that series may be planned to take


@dataclass(frozen=True, slots=True)
class PendingSeries:
    """A series with sessions still to place.

    ``done``: sessions already held (or kept); ``last_session``: the day of the last of them (needed
    when ``done`` > 0; the next session's window hangs on it).
    """

    series_id: str
    request: SeriesRequest
    first_allowed: date
    preferences: PatientPreferences = field(default_factory=PatientPreferences)
    done: int = 0
    last_session: date | None = None
    last_practitioner: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.done < self.request.sessions:
            raise SchedulingError(
                f"done must be 0 to {self.request.sessions - 1}", field=f"{self.series_id}.done"
            )
        if self.done and self.last_session is None:
            raise SchedulingError(
                "a series with sessions done needs the day of the last one",
                field=f"{self.series_id}.last_session",
            )


@dataclass(frozen=True, slots=True)
class UnplacedSession:
    series_id: str
    session: int
    reason: str


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported after each step: ``done`` of ``total`` steps, sessions placed so far."""

    method: Literal["greedy", "cp-sat"]
    done: int
    total: int
    placed: int
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class Assignment:
    """The outcome: appointments (every one inside its window) and the sessions left unplaced.

    ``sessions``: pending sessions in all; ``reachable``: those whose earliest possible day (every
    earlier session at the minimum interval) is on or before ``until``. ``working_minutes`` and
    ``booked_minutes``: practitioners' working time in the horizon and how much of it is booked
    (existing bookings included) at the end.
    """

    method: str
    appointments: tuple[Appointment, ...]
    unplaced: tuple[UnplacedSession, ...]
    sessions: int
    reachable: int
    penalty: int
    working_minutes: int
    booked_minutes: int
    stages: int = 0
    solver_seconds: float = 0.0
    details: tuple[str, ...] = ()

    @property
    def in_window(self) -> int:
        return len(self.appointments)

    @property
    def share_in_window(self) -> float:
        return self.in_window / self.sessions if self.sessions else 1.0

    @property
    def share_of_reachable(self) -> float:
        return self.in_window / self.reachable if self.reachable else 1.0

    @property
    def utilisation(self) -> float:
        return self.booked_minutes / self.working_minutes if self.working_minutes else 0.0

    def better_than(self, other: Assignment) -> bool:
        return (self.in_window, -self.penalty) > (other.in_window, -other.penalty)


@dataclass
class _State:
    """Where a series stands while assigning."""

    series: PendingSeries
    request: SlotRequest
    blocked: int  # minutes taken, rounded up to the slot grid
    next: int  # next session number
    anchor: date | None  # day of the previous session
    previous: str | None  # its practitioner
    first_earliest: date
    stopped: str | None = None
    appointments: list[Appointment] = field(default_factory=list)
    penalty: int = 0

    @property
    def finished(self) -> bool:
        return self.stopped is not None or self.next > self.series.request.sessions

    def window(self, session: int, anchor: date | None) -> tuple[date, date, date]:
        """``(earliest, latest, target)`` of ``session`` after a previous session on ``anchor``."""
        interval = self.series.request.interval
        if anchor is None:
            first = self.first_earliest
            return first, first + timedelta(days=FIRST_SESSION_DAYS - 1), first
        return (
            anchor + timedelta(weeks=interval.min),
            anchor + timedelta(weeks=interval.max),
            anchor + timedelta(weeks=interval.default),
        )


class _Run:
    """Shared set-up of one assignment run."""

    def __init__(
        self,
        pending: Sequence[PendingSeries],
        calendar: ClinicCalendar,
        bookings: Iterable[Booking] | Occupancy,
        *,
        today: date,
        until: date,
        weights: Weights,
        first_session_days: int,
    ) -> None:
        if until < today:
            raise SchedulingError("the horizon ends before it starts", field="until")
        ids = [p.series_id for p in pending]
        if len(set(ids)) != len(ids):
            raise SchedulingError("series ids must be unique", field="pending")
        self.calendar = calendar
        base = bookings if isinstance(bookings, Occupancy) else Occupancy(calendar, bookings)
        self.occupancy = base.copy()
        self.today = today
        self.until = until
        self.weights = weights
        self.first_session_days = first_session_days
        grid = calendar.slot_minutes
        self.states: list[_State] = []
        lead = today + timedelta(days=PRECARE_LEAD_DAYS)
        for item in pending:
            length = item.request.length(calendar)
            blocked = -(-length.blocked_minutes // grid) * grid
            # A series under way has no pre-care lead: its window hangs on its last session.
            first = item.first_allowed if item.done else max(item.first_allowed, lead)
            self.states.append(
                _State(
                    series=item,
                    request=SlotRequest(
                        length, item.preferences.times, item.preferences.practitioner_id
                    ),
                    blocked=blocked,
                    next=item.done + 1,
                    anchor=item.last_session,
                    previous=item.last_practitioner,
                    first_earliest=first,
                )
            )
        self.capacities: dict[date, int] = {}
        self.sessions = sum(p.request.sessions - p.done for p in pending)
        self.reachable = sum(self._reachable(state) for state in self.states)

    def _reachable(self, state: _State) -> int:
        interval = state.series.request.interval
        count = 0
        anchor = state.anchor
        earliest = state.first_earliest if anchor is None else None
        for _ in range(state.next, state.series.request.sessions + 1):
            day = earliest if anchor is None else anchor + timedelta(weeks=interval.min)
            assert day is not None
            if day > self.until:
                break
            count += 1
            anchor = day
        return count

    def window(self, state: _State) -> tuple[date, date, date]:
        """The next session's window clipped to the horizon (earliest may exceed latest)."""
        low, high, target = state.window(state.next, state.anchor)
        if state.anchor is None:
            high = low + timedelta(days=self.first_session_days - 1)
        return max(low, self.today), min(high, self.until), target

    def day_cost(self, state: _State, day: date, target: date) -> int:
        weights = self.weights
        if state.anchor is None:
            cost = (day - target).days * weights.per_day_first_delay
        else:
            cost = abs((day - target).days) * weights.per_day_off_default
        weekdays = state.series.preferences.weekdays
        if weekdays and day.weekday() not in weekdays:
            cost += weights.weekday
        return cost

    def try_day(self, state: _State, day: date, target: date) -> bool:
        """Book the next session of ``state`` on ``day`` if a slot is free there."""
        found = self.occupancy.best_slot(
            day, state.request, previous_practitioner=state.previous, weights=self.weights
        )
        if found is None:
            return False
        penalty, slot = found
        self.occupancy.book(slot)
        self.capacities.pop(day, None)
        request = state.series.request
        state.appointments.append(
            Appointment.from_slot(
                slot,
                series_id=state.series.series_id,
                session=state.next,
                sessions=request.sessions,
            )
        )
        state.penalty += penalty + self.day_cost(state, day, target)
        state.anchor = day
        state.previous = slot.practitioner_id
        state.next += 1
        return True

    def stop(self, state: _State, reason: str) -> None:
        if state.stopped is None:
            state.stopped = reason

    def result(
        self, method: str, stages: int, seconds: float, details: Sequence[str]
    ) -> Assignment:
        appointments: list[Appointment] = []
        unplaced: list[UnplacedSession] = []
        penalty = 0
        for state in self.states:
            appointments.extend(state.appointments)
            penalty += state.penalty
            request = state.series.request
            if state.next <= request.sessions:
                reason = state.stopped or self._open_reason(state)
                unplaced.append(UnplacedSession(state.series.series_id, state.next, reason))
                for number in range(state.next + 1, request.sessions + 1):
                    unplaced.append(
                        UnplacedSession(
                            state.series.series_id, number, f"session {number - 1} is unplaced"
                        )
                    )
        working = booked = 0
        day = self.today
        while day <= self.until:
            hours = self.occupancy.working_minutes(day)
            free = self.occupancy.free_minutes(day)
            for pid, minutes in hours.items():
                working += minutes
                booked += minutes - free[f"p:{pid}"]
            day += timedelta(days=1)
        appointments.sort(key=lambda a: (a.start, a.practitioner_id))
        return Assignment(
            method=method,
            appointments=tuple(appointments),
            unplaced=tuple(unplaced),
            sessions=self.sessions,
            reachable=self.reachable,
            penalty=penalty,
            working_minutes=working,
            booked_minutes=booked,
            stages=stages,
            solver_seconds=seconds,
            details=tuple(details),
        )

    def _open_reason(self, state: _State) -> str:
        low, high, _ = state.window(state.next, state.anchor)
        if low > self.until:
            return f"its window opens after the horizon ({low})"
        if high > self.until:
            return (
                f"no free slot up to the end of the horizon ({self.until}); window {low} to {high}"
            )
        return f"no free slot in its window ({low} to {high})"


def assign_greedy(
    pending: Sequence[PendingSeries],
    calendar: ClinicCalendar,
    bookings: Iterable[Booking] | Occupancy = (),
    *,
    today: date,
    until: date,
    weights: Weights = DEFAULT_WEIGHTS,
    first_session_days: int = FIRST_SESSION_DAYS,
    progress: ProgressCallback | None = None,
) -> Assignment:
    """The greedy first-fit baseline (see the module docstring). ``bookings`` are not changed."""
    run = _Run(
        pending,
        calendar,
        bookings,
        today=today,
        until=until,
        weights=weights,
        first_session_days=first_session_days,
    )
    order = sorted(run.states, key=lambda s: (run.window(s)[0], s.series.series_id))
    placed = 0
    step = max(1, len(order) // 100)
    for index, state in enumerate(order, start=1):
        _greedy_series(run, state)
        placed += len(state.appointments)
        if progress is not None and (index % step == 0 or index == len(order)):
            progress(Progress("greedy", index, len(order), placed))
    return run.result("greedy", 0, 0.0, ())


def _greedy_series(run: _Run, state: _State) -> None:
    while not state.finished:
        low, high, target = run.window(state)
        if low > high:
            return
        days = [low + timedelta(days=n) for n in range((high - low).days + 1)]
        days.sort(key=lambda d: (abs((d - target).days), d))
        if not any(run.try_day(state, day, target) for day in days):
            run.stop(state, f"no free slot in its window ({low} to {high})")


def assign_optimised(
    pending: Sequence[PendingSeries],
    calendar: ClinicCalendar,
    bookings: Iterable[Booking] | Occupancy = (),
    *,
    today: date,
    until: date,
    time_limit_seconds: float = 40.0,
    workers: int = 2,
    seed: int = 0,
    commit_days: int = 7,
    lookahead_days: int = 21,
    weights: Weights = DEFAULT_WEIGHTS,
    first_session_days: int = FIRST_SESSION_DAYS,
    baseline: Assignment | None = None,
    use_solver: bool = True,
    progress: ProgressCallback | None = None,
) -> Assignment:
    """The rolling-horizon CP-SAT assignment (see the module docstring).

    ``use_solver=False`` commits each stage's starting solution (the hint) without solving: the
    decomposition alone, for comparison or a quick preview.

    ``time_limit_seconds`` bounds the solver time over all stages; model building and slot
    assignment come on top (a few seconds at 2,000 series). ``baseline``: a greedy result already
    computed for the same input (otherwise it is computed here); the better of the two is returned.
    """
    if commit_days < 1 or lookahead_days < 0:
        raise SchedulingError("commit_days ≥ 1 and lookahead_days ≥ 0", field="commit_days")
    run = _Run(
        pending,
        calendar,
        bookings,
        today=today,
        until=until,
        weights=weights,
        first_session_days=first_session_days,
    )
    stages = -(-((until - today).days + 1) // commit_days)
    budget = time_limit_seconds
    solver_seconds = 0.0
    details: list[str] = []
    start = today
    for stage in range(stages):
        limit = max(0.05, budget / (stages - stage))
        seconds, line = _stage(
            run, start, commit_days, lookahead_days, limit if use_solver else 0.0, workers, seed
        )
        budget -= seconds
        solver_seconds += seconds
        details.append(line)
        start += timedelta(days=commit_days)
        if progress is not None:
            placed = sum(len(s.appointments) for s in run.states)
            progress(Progress("cp-sat", stage + 1, stages, placed, line))
    # Whatever is left in a window (e.g. opened by capacity the model did not count on).
    for state in sorted(run.states, key=lambda s: (run.window(s)[0], s.series.series_id)):
        if not state.finished:
            _greedy_series(run, state)
    result = run.result("cp-sat", stages, solver_seconds, details)
    summary = f"rolling horizon: {result.in_window} sessions in window, {result.penalty} points"
    result = replace(result, details=(*result.details, summary))
    if baseline is None:
        baseline = assign_greedy(
            pending,
            calendar,
            bookings,
            today=today,
            until=until,
            weights=weights,
            first_session_days=first_session_days,
        )
    if baseline.better_than(result):
        return replace(
            baseline,
            method="greedy (CP-SAT found fewer)",
            stages=stages,
            solver_seconds=solver_seconds,
            details=result.details,
        )
    return result


def _usable_minutes(mask: int, shortest: int, step: int) -> int:
    """Minutes of ``mask`` that appointments can use: in each free stretch, as many appointments
    as fit (the shortest, ``shortest`` minutes, the next one starting ``step`` minutes later),
    counted in ``step`` minutes each."""
    total = 0
    while mask:
        low = (mask & -mask).bit_length() - 1
        shifted = mask >> low
        run = (~shifted & (shifted + 1)).bit_length() - 1  # the stretch's length
        if run >= shortest:
            total += ((run - shortest) // step + 1) * step
        mask &= ~(((1 << run) - 1) << low)
    return total


def _capacity(run: _Run, day: date, shortest: int, step: int) -> int:
    """The day's minutes for sessions: the least of practitioners', rooms' and devices'."""
    occupancy = run.occupancy
    frame = occupancy.frame(day)
    if not frame.grid:
        return 0
    calendar = run.calendar
    result = sum(
        _usable_minutes(occupancy.practitioner_free(i, frame), shortest, step)
        for i in range(len(calendar.practitioners))
    )
    rooms = sum(
        _usable_minutes(occupancy.room_free(i, frame), shortest, step)
        for i in range(len(calendar.rooms))
    )
    result = min(result, rooms)
    if calendar.devices:
        devices = sum(
            _usable_minutes(occupancy.device_free(i, frame), shortest, step)
            for i in range(len(calendar.devices))
        )
        result = min(result, devices)
    return result


@dataclass
class _Option:
    """A session of the stage model: its day booleans and their objective points."""

    state: _State
    target: date
    days: list[tuple[int, cp_model.IntVar, int]]  # (day index, boolean, points)
    follower: list[tuple[int, cp_model.IntVar, int]] = field(default_factory=list)
    gap: tuple[int, int] = (0, 0)  # follower's gap in days (min, max)
    admits: int = 0  # for a new series: the minutes it is planned to take (admission)


def _at_default(run: _Run, state: _State, first: date) -> int:
    """Sessions from the next one (on ``first``) to the last, at the default interval, that fall
    inside the horizon."""
    step = timedelta(weeks=state.series.request.interval.default)
    count, day = 0, first
    for _ in range(state.next, state.series.request.sessions + 1):
        if day > run.until:
            break
        count += 1
        day += step
    return count


def _future(run: _Run, state: _State, low: date) -> int:
    """Sessions after the next one that could still fit in the horizon (each at the minimum)."""
    request = state.series.request
    step = timedelta(weeks=request.interval.min)
    count, day = 0, low
    for _ in range(state.next + 1, request.sessions + 1):
        day += step
        if day > run.until:
            break
        count += 1
    return count


def _stage(
    run: _Run,
    start: date,
    commit_days: int,
    lookahead_days: int,
    limit: float,
    workers: int,
    seed: int,
) -> tuple[float, str]:
    from ortools.sat.python import cp_model

    commit_end = min(start + timedelta(days=commit_days), run.until + timedelta(days=1))
    model_end = min(
        start + timedelta(days=commit_days + lookahead_days), run.until + timedelta(days=1)
    )
    horizon = (model_end - start).days
    grid = run.calendar.slot_minutes
    shortest = min((s.request.length.blocked_minutes for s in run.states), default=grid)
    step = -(-shortest // grid) * grid
    for n in range((run.until - start).days + 1):
        day = start + timedelta(days=n)
        if day not in run.capacities:
            run.capacities[day] = _capacity(run, day, shortest, step)
    capacity = [run.capacities[start + timedelta(days=n)] for n in range(horizon)]
    # Admission: new series start only while the remaining capacity can carry every series under
    # way and the new ones at their default intervals (the rest of the horizon, in minutes).
    remaining = sum(minutes for day, minutes in run.capacities.items() if day >= start)
    load = sum(
        state.blocked * _at_default(run, state, run.window(state)[2])
        for state in run.states
        if state.anchor is not None and not state.finished
    )

    model = cp_model.CpModel()
    day_terms: list[list[tuple[cp_model.IntVar, int]]] = [[] for _ in range(horizon)]
    options: list[_Option] = []
    last = model_end - timedelta(days=1)
    for state in run.states:
        if state.finished:
            continue
        low, high, target = run.window(state)
        if high < start:
            run.stop(state, f"no free slot in its window (up to {high})")
            continue
        if low > last or low > high:
            continue
        reward = _REWARD_CLOSING if high < model_end else _REWARD_OPEN
        reward += _REWARD_FUTURE * _future(run, state, low)
        if state.anchor is not None:
            reward += _REWARD_CONTINUING
        days: list[tuple[int, cp_model.IntVar, int]] = []
        for n in range((max(low, start) - start).days, (min(high, last) - start).days + 1):
            if capacity[n] < state.blocked:
                continue
            var = model.new_bool_var("")
            days.append((n, var, reward - run.day_cost(state, start + timedelta(days=n), target)))
            day_terms[n].append((var, state.blocked))
        if not days:
            continue
        model.add_at_most_one(v for _, v, _ in days)
        option = _Option(state, target, days)
        if state.anchor is None:
            option.admits = state.blocked * _at_default(run, state, max(low, start))
        options.append(option)
        # The follower looks ahead, so the next session's day leaves its successor room.
        request = state.series.request
        if state.next >= request.sessions:
            continue
        interval = request.interval
        f_low = max(low, start) + timedelta(weeks=interval.min)
        f_high = min(high + timedelta(weeks=interval.max), last)
        for n in range((f_low - start).days, (f_high - start).days + 1):
            if capacity[n] < state.blocked:
                continue
            var = model.new_bool_var("")
            option.follower.append((n, var, _REWARD_FOLLOWER))
            day_terms[n].append((var, state.blocked))
        if not option.follower:
            continue
        option.gap = (7 * interval.min, 7 * interval.max)
        placed_follower = model.new_bool_var("")
        model.add(sum(v for _, v, _ in option.follower) == placed_follower)
        model.add(placed_follower <= sum(v for _, v, _ in days))
        gap = sum(n * v for n, v, _ in option.follower) - sum(n * v for n, v, _ in days)
        model.add(gap >= option.gap[0]).only_enforce_if(placed_follower)
        model.add(gap <= option.gap[1]).only_enforce_if(placed_follower)
    for n, terms in enumerate(day_terms):
        if terms:
            model.add(sum(minutes * var for var, minutes in terms) <= capacity[n])
    allowance = max(0, int(_ADMISSION * remaining) - load)
    starting = [(o.admits, v) for o in options if o.admits for _, v, _ in o.days]
    if starting:
        model.add(sum(minutes * v for minutes, v in starting) <= allowance)
    model.maximize(sum(points * var for o in options for _, var, points in (*o.days, *o.follower)))
    hinted = _hint(model, options, capacity, allowance)

    if limit <= 0:
        return 0.0, _commit(run, start, commit_end, options, lambda _: False, hinted, "the hint")
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    # The stage models are large and loose: a light presolve leaves the time for the search.
    solver.parameters.symmetry_level = 0
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.cp_model_probing_level = 0
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        line = _commit(
            run,
            start,
            commit_end,
            options,
            solver.boolean_value,
            None,
            solver.status_name(status).lower(),
        )
    else:
        line = _commit(
            run,
            start,
            commit_end,
            options,
            lambda _: False,
            hinted,
            "no solution in time: the hint",
        )
    return solver.wall_time, f"{line}, {solver.wall_time:.2f} s"


def _commit(
    run: _Run,
    start: date,
    commit_end: date,
    options: Sequence[_Option],
    chosen: Callable[[cp_model.IntVar], bool],
    hinted: dict[int, int] | None,
    outcome: str,
) -> str:
    """Exact slots for the sessions put in the committed days (longest first per day); then the
    sessions whose window closes in them and that were left out get a last greedy try."""
    committed: list[tuple[int, int, str, _State, date]] = []
    for index, option in enumerate(options):
        if hinted is None:
            days_chosen = [n for n, var, _ in option.days if chosen(var)]
        else:
            days_chosen = [hinted[index]] if index in hinted else []
        for n in days_chosen:
            if start + timedelta(days=n) < commit_end:
                state = option.state
                committed.append((n, -state.blocked, state.series.series_id, state, option.target))
    committed.sort(key=lambda item: item[:3])
    placed = misses = 0
    for n, _, _, state, target in committed:
        day = start + timedelta(days=n)
        if run.try_day(state, day, target):
            placed += 1
            continue
        low, high, _ = run.window(state)
        others = [
            low + timedelta(days=k)
            for k in range((min(high, commit_end - timedelta(days=1)) - low).days + 1)
        ]
        others = [d for d in others if d >= start and d != day]
        others.sort(key=lambda d: (abs((d - day).days), d))
        if any(run.try_day(state, other, target) for other in others):
            placed += 1
        else:
            misses += 1
    # Sessions whose window closes in the committed days and that the model left out.
    rescued = 0
    for state in run.states:
        if state.finished:
            continue
        low, high, target = run.window(state)
        if low > high or high >= commit_end or high < start:
            continue
        days_left = [low + timedelta(days=k) for k in range((high - low).days + 1)]
        days_left = [d for d in days_left if d >= start]
        days_left.sort(key=lambda d: (abs((d - target).days), d))
        if any(run.try_day(state, d, target) for d in days_left):
            rescued += 1
    count = sum(len(o.days) + len(o.follower) for o in options)
    line = (
        f"{start}: {len(options)} sessions in the model ({count} day options), "
        f"{outcome}, placed {placed}, rescued {rescued}, {misses} back to the pool"
    )
    return line


def _hint(
    model: cp_model.CpModel, options: Sequence[_Option], capacity: Sequence[int], allowance: int
) -> dict[int, int]:
    """A feasible start for the solver, and the fallback when it finds nothing in time: sessions
    by closing window, each on its best day with room left, and its follower on the best day
    the gap allows. Returns the day chosen per option."""
    left = list(capacity)
    chosen: dict[int, int] = {}
    order = sorted(
        range(len(options)), key=lambda i: (options[i].days[-1][0], -options[i].days[0][2])
    )
    for index in order:
        option = options[index]
        blocked = option.state.blocked
        if option.admits > allowance:
            continue
        best = max(
            ((points, -n) for n, _, points in option.days if left[n] >= blocked), default=None
        )
        if best is None:
            continue
        day = -best[1]
        left[day] -= blocked
        allowance -= option.admits
        chosen[index] = day
    for index, option in enumerate(options):
        next_day = chosen.get(index)
        follower_day = None
        if next_day is not None and option.follower:
            low, high = option.gap
            for n, _, _ in option.follower:
                if low <= n - next_day <= high and left[n] >= option.state.blocked:
                    follower_day = n
                    left[n] -= option.state.blocked
                    break
        for n, var, _ in option.days:
            model.add_hint(var, n == next_day)
        for n, var, _ in option.follower:
            model.add_hint(var, n == follower_day)
    return chosen
