"""BFL's async protocol through imagegate: task statuses, deadline, SSRF guard, submit retries,
expired links, partial results, and the per-account concurrency cap."""

from __future__ import annotations

import openai
import pytest

from tests.e2e.flux.helpers import gen, generate, in_thread
from tests.e2e.helpers import api_error, raised, wait_for
from tests.fakes.bfl_upstream import FakeBFL
from tests.fakes.server import Sink
from tests.fakes.task_upstream import detail
from tests.harness import Gateway


@pytest.mark.parametrize("status", ["Request Moderated", "Content Moderated"])
def test_moderation_is_a_content_policy_error(bfl_client: openai.OpenAI, bfl: FakeBFL, status: str) -> None:
    bfl.next_outcomes(status)
    failure = raised(lambda: gen(bfl_client))
    api_error(failure, 400, param=None, code="content_policy_violation", type_="image_generation_user_error")


@pytest.mark.parametrize("status", ["Error", "Failed"])
def test_failed_tasks_are_upstream_errors(bfl_client: openai.OpenAI, bfl: FakeBFL, status: str) -> None:
    bfl.next_outcomes(status)
    failure = raised(lambda: gen(bfl_client))
    api_error(failure, 502, param=None, code="upstream_error")


def test_task_not_found_right_after_submit_is_retried(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.next_outcomes("found_late")
    assert len(generate(bfl_client, model="flux-kontext-pro", prompt="p")["data"]) == 1


def test_a_task_that_stays_lost_fails(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.next_outcomes("lost")
    failure = raised(lambda: gen(bfl_client))
    api_error(failure, 502, param=None, code="upstream_task_lost")


def test_a_task_past_the_deadline_times_out(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.next_outcomes("never")
    failure = raised(lambda: gen(bfl_client))
    api_error(failure, 504, param=None, code="upstream_timeout", type_="upstream_error")


def test_an_expired_sample_link_is_a_502(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.next_outcomes("expired")
    failure = raised(lambda: gen(bfl_client))
    api_error(failure, 502, param=None, code="upstream_download_failed")


def test_a_foreign_polling_url_is_never_followed(bfl_client: openai.OpenAI, bfl: FakeBFL, sink: Sink) -> None:
    bfl.next_outcomes("foreign")
    failure = raised(lambda: gen(bfl_client))
    error = api_error(failure, 502, param=None, code="upstream_bad_response")
    assert sink.origin not in error["message"] and "127.0.0.1" not in error["message"]
    assert sink.hits == []
    assert [r.path for r in bfl.requests] == ["/v1/flux-kontext-pro"]


def test_a_429_burst_on_submit_is_retried(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.fail_submits(429, 2, headers={"Retry-After": "0"})
    assert len(generate(bfl_client, model="flux-kontext-pro", prompt="p")["data"]) == 1
    assert len(bfl.submitted()) == 3


def test_a_5xx_on_submit_is_retried(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.fail_submits(503)
    assert len(generate(bfl_client, model="flux-kontext-pro", prompt="p")["data"]) == 1
    assert len(bfl.submitted()) == 2


def test_retries_are_bounded(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.fail_submits(429, 10)
    failure = raised(lambda: gen(bfl_client))
    api_error(failure, 429, param=None, code="rate_limit_exceeded")
    assert len(bfl.submitted()) == 4


def test_out_of_credit_is_not_retried(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.fail_submits(402, body={"detail": "Insufficient credits"})
    failure = raised(lambda: gen(bfl_client))
    error = api_error(failure, 502, param=None, code="upstream_insufficient_credit")
    assert "credit" in error["message"]
    assert len(bfl.submitted()) == 1


def test_a_rejected_key_is_an_upstream_auth_error(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.fail_submits(403, body={"detail": "Not authenticated"})
    failure = raised(lambda: gen(bfl_client))
    api_error(failure, 502, param=None, code="upstream_auth_error")
    assert len(bfl.submitted()) == 1


def test_a_validation_error_is_a_400_with_the_scrubbed_upstream_message(bfl_client: openai.OpenAI,
                                                                         bfl: FakeBFL) -> None:
    bfl.fail_submits(422, body=detail("input_image", "Could not fetch https://delivery-eu1.bfl.ai/x.png"))
    failure = raised(lambda: gen(bfl_client))
    error = api_error(failure, 400, param="image", code="invalid_value")
    assert "Could not fetch" in error["message"] and "bfl.ai" not in error["message"]
    assert len(bfl.submitted()) == 1


def test_one_failed_task_fails_the_request(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.next_outcomes("ok", "Content Moderated", "ok")
    failure = raised(lambda: gen(bfl_client, n=3))
    api_error(failure, 400, param=None, code="content_policy_violation")


def test_partial_results_when_opted_in(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.next_outcomes("ok", "Content Moderated", "ok")
    body = generate(bfl_client, model="flux-kontext-pro", prompt="p", n=3, extra_body={"partial_results": True})
    assert len(body["data"]) == 2 and body["usage"]["images"] == 2
    assert [e["code"] for e in body["errors"]] == ["content_policy_violation"]


def test_partial_results_with_nothing_made_is_an_error(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.next_outcomes("Error", "Error")
    failure = raised(lambda: gen(bfl_client, n=2, extra_body={"partial_results": True}))
    api_error(failure, 502, param=None, code="upstream_error")


def test_fan_out_of_kontext_max_stays_under_its_cap(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    bfl.caps = {"flux-kontext-max": 6}
    bfl.held = True
    done = in_thread(lambda: generate(bfl_client, model="flux-kontext-max", prompt="p", n=10))
    wait_for(lambda: bfl.active == 6, "six tasks in flight")
    bfl.held = False
    assert len(done()["data"]) == 10
    assert (bfl.max_by_model["flux-kontext-max"], bfl.rejected, len(bfl.submitted())) == (6, 0, 10)


def test_requests_share_the_account_cap(capped_gateway: Gateway, bfl: FakeBFL) -> None:
    bfl.caps = {None: 3}
    bfl.held = True
    with capped_gateway.client() as client:
        joins = [in_thread(lambda: generate(client, model="flux-kontext-pro", prompt="p", n=2)) for _ in range(3)]
        wait_for(lambda: bfl.active == 3, "three tasks in flight")
        bfl.held = False
        assert [len(join()["data"]) for join in joins] == [2, 2, 2]
    assert (bfl.max_active, bfl.rejected, len(bfl.submitted())) == (3, 0, 6)

