"""The group each answer of a run carries, decided once when the run opens.

A department is a group of its own only if at least `threshold` people of it are asked. The
others (small departments, and people in none) are pooled into OTHER_DEPARTMENTS; if that pool
is itself smaller than the threshold, the smallest departments join it until it is not. A run
where that leaves a single group has no groups at all (None): a breakdown would only repeat the
total. So every group an answer names has an audience of at least the threshold, and a reader
of the database learns from it no more than "one of at least k people".
"""

from collections import Counter
from collections.abc import Mapping

from surveys.models import OTHER_DEPARTMENTS


def answer_groups(departments: Mapping[str, int | None], threshold: int) -> dict[str, int | None]:
    """Each person's group, from their department (None: in none) and the survey's threshold."""
    sizes = Counter(departments.values())
    own = {d for d, n in sizes.items() if d is not None and n >= threshold}
    pooled = sum(n for d, n in sizes.items() if d not in own)
    while 0 < pooled < threshold and own:
        smallest = min(own, key=lambda d: (sizes[d], d))
        own.remove(smallest)
        pooled += sizes[smallest]
    if len(own) + (1 if pooled else 0) < 2:
        return dict.fromkeys(departments)
    return {
        person: department if department in own else OTHER_DEPARTMENTS
        for person, department in departments.items()
    }
