"""Customers created in bulk are the same Mesa agents the constructor would make.

``Customer.create_rows`` registers agents without calling ``Agent.__init__`` one by
one (5 s saved at a million customers); it leans on Mesa internals, so this pins
its result against the ordinary constructor.
"""

from __future__ import annotations

import mesa

from cxsim import build_model
from cxsim.customers import Customer
from cxsim.dealers import Dealer


def _model():
    return build_model(["sample.customers=300", "market.years=1", "progress=false"])


def test_bulk_agents_match_constructed_ones():
    m = _model()
    customers = m.agents_by_type[Customer]
    assert len(customers) == 300 and len(m.agents_by_type[Dealer]) == 3
    assert len(m.agents) == 303
    ids = [c.unique_id for c in customers]
    assert ids == sorted(ids) and len(set(ids)) == 300
    assert [c.row for c in customers] == list(range(300))
    # A constructed agent has the same attributes (cell aside, set for small markets).
    made = Customer(m, 0)
    bulk = next(iter(customers))
    assert set(vars(made)) - {"_mesa_cell"} == set(vars(bulk)) - {"_mesa_cell"}
    assert made.unique_id == max(ids) + 1
    made.remove()
    assert len(m.agents) == 303


def test_agentset_operations_work_on_bulk_agents():
    m = _model()
    customers = m.agents_by_type[Customer]
    owners = customers.select(lambda c: c.stage == "owner")
    assert 0 < len(owners) < 300
    seen = []
    customers.shuffle_do(lambda c: seen.append(c.row))
    assert sorted(seen) == list(range(300))
    victim = next(iter(customers))
    victim.remove()
    assert len(m.agents_by_type[Customer]) == 299 and victim not in m.agents
    assert isinstance(m.agents, mesa.agentset.AbstractAgentSet)


def test_stepped_engine_steps_every_bulk_agent():
    m = build_model(["sample.customers=200", "market.years=1", "engine=stepped",
                     "market.warmup_weeks=0", "progress=false"])
    stepped = []
    original = Customer.step

    def spy(self):
        stepped.append(self.row)
        original(self)

    Customer.step = spy
    try:
        m.step()
    finally:
        Customer.step = original
    assert sorted(stepped) == list(range(200))
