"""The soak, short: 10 s of questions at 50 a second under gateway and REST faults.

`python benchmarks/soak.py` runs the 60 s form; `pytest -m "not soak"` skips this one.
"""

from __future__ import annotations

import pytest

from tests.e2e.soak import soak

pytestmark = [pytest.mark.e2e, pytest.mark.soak]


async def test_every_delivered_question_is_answered_exactly_once_under_faults() -> None:
    result = await soak(10.0)
    assert result.sent == 500
    assert set(result.faults) == {"1006", "4000", "op7", "op9", "429", "500", "502"}
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.answered_once == result.sent - result.undeliverable
