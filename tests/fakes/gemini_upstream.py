"""Fake Gemini API and Vertex AI ``generateContent`` upstreams over real HTTP, for the Gemini image models.

``FakeGemini`` serves ``POST /v1beta/models/{model}:generateContent`` and takes its key only from the
``x-goog-api-key`` header: a ``?key=`` is refused (Google would take it) so tests prove the key never
goes into a URL. ``FakeVertex`` serves ``POST /{v1,v1beta1}/projects/{p}/locations/{l}/publishers/google/
models/{model}:generateContent`` with a bearer token from its own ``POST /token`` (see ``google_oauth``)
or an express-mode key in ``x-goog-api-key``, and the express-mode path without project and location.

Both check bodies as Google does (``gemini_requests``), answer with real images and usage
(``gemini_answers``), record every request, and take queued faults (``fail_next``): the error kinds
are answered before the auth check, the answer kinds (``blocked``, ``finish``, ``text_only``,
``bad_json``) after the request passed validation, and ``hang`` waits then answers normally.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes import gemini_answers as answers
from tests.fakes.gemini_models import MODELS, ImageModel
from tests.fakes.gemini_requests import GoogleError, Parsed, bad_request, error_body, parse
from tests.fakes.google_oauth import ServiceAccount, TokenIssuer, make_service_account
from tests.fakes.openai_upstream import Recorded
from tests.fakes.server import ThreadedServer

FaultKind = Literal["rate_limit", "invalid", "unauthenticated", "permission", "internal", "unavailable", "deadline",
                    "status", "blocked", "finish", "text_only", "bad_json", "hang"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
ERROR_KINDS = {"rate_limit": 429, "invalid": 400, "unauthenticated": 401, "permission": 403, "internal": 500,
               "unavailable": 503, "deadline": 504}
GEMINI_KEY = "AIzaSyFakeGeminiKey-0123456789abcdefghi"
VERTEX_KEY = "AQ.fake-vertex-express-key-0123456789"
TRUNCATED = b'{"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0K'


@dataclass
class Fault:
    """One queued fault; see ``GoogleUpstream.fail_next``."""

    kind: str
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float | None = None
    reason: str | None = None
    retry_delay: float = 7.0


@dataclass
class GoogleRequest(Recorded):
    """A recorded request: ``Recorded``'s method, path, lowercased headers and JSON body, plus the query."""

    query: dict[str, str] = field(default_factory=dict)


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json; charset=UTF-8")


class GoogleUpstream:
    """What ``FakeGemini`` and ``FakeVertex`` share: recording, faults, validation and answers."""

    vertex = False

    def __init__(self, name: str, models: dict[str, ImageModel] | None) -> None:
        self.models = dict(MODELS if models is None else models)
        self.requests: list[GoogleRequest] = []
        self.answers: list[dict[str, Any]] = []  # the successful answers, in order
        self.reply_text: str | None = None  # a text part before the image when set (and TEXT is asked for)
        self.images_per_answer = 1  # images in each candidate (Google doesn't promise one)
        self.thoughts_tokens: int | None = None  # None: the model's default
        self.delay = 0.0  # seconds before every successful answer
        self.max_concurrent = 0  # peak number of generate requests in flight
        self._inflight = 0
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.server = ThreadedServer(Starlette(routes=self.routes()), name)
        self.origin = ""

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def start(self) -> str:
        """Serve on a free 127.0.0.1 port; returns the origin."""
        self._closing.clear()
        self.origin = self.server.start()
        return self.origin

    def stop(self) -> None:
        self._closing.set()  # cuts hangs and delays short
        self.server.stop()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def last(self) -> GoogleRequest:
        return self.requests[-1]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.answers.clear()
            self._faults.clear()
            self.max_concurrent = 0
        self.reply_text, self.images_per_answer, self.thoughts_tokens, self.delay = None, 1, None, 0.0

    def fail_next(self, kind: FaultKind, count: int = 1, *, status: int | None = None, body: Any = None,
                  headers: dict[str, str] | None = None, delay: float | None = None, reason: str | None = None,
                  retry_delay: float = 7.0) -> None:
        """Queue ``count`` faults, one per generate request (FIFO).

        Errors: ``rate_limit`` (429 with ``RetryInfo`` of ``retry_delay`` seconds on the Gemini API),
        ``invalid`` 400, ``unauthenticated`` 401, ``permission`` 403, ``internal`` 500, ``unavailable`` 503,
        ``deadline`` 504, or ``status`` (any ``status`` and ``body``); ``body`` replaces the standard body,
        ``delay`` is slept first. Answers (HTTP 200): ``blocked`` (``promptFeedback.blockReason`` = ``reason``,
        default ``PROHIBITED_CONTENT``), ``finish`` (``finishReason`` = ``reason``, default ``IMAGE_SAFETY``),
        ``text_only`` (its text is ``reason`` when given), ``bad_json`` (a truncated body). ``headers`` are
        added to any of these. ``hang`` waits ``delay`` seconds (default 30, cut short when the fake stops),
        then answers normally.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        fault = Fault(kind, status, body, dict(headers or {}), delay, reason, retry_delay)
        with self._lock:
            self._faults.extend([fault] * count)

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self._closing.is_set():
            await asyncio.sleep(min(left, 0.05))

    async def _record(self, request: Request) -> tuple[GoogleRequest, bool]:
        record = GoogleRequest(request.method, request.url.path, dict(request.headers.items()),
                               query=dict(request.query_params.items()))
        raw, ok = await request.body(), True
        try:
            record.json = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            ok = False
        with self._lock:
            self.requests.append(record)
        return record, ok

    def authorise(self, request: Request, target: str) -> Response | None:
        """An error answer when the caller may not call ``target``, else ``None``."""
        raise NotImplementedError

    def target(self, request: Request, model_id: str) -> str:
        """How error messages name the model."""
        return f"models/{model_id}"

    def model_missing(self, request: Request, model_id: str) -> GoogleError | None:
        if model_id not in self.models:
            return GoogleError(404, f"models/{model_id} is not found for API version v1beta, or is not supported "
                                    "for generateContent. Call ListModels to see the list of available models and "
                                    "their supported methods.")
        return None

    async def generate(self, request: Request) -> Response:
        """The shared ``:generateContent`` pipeline."""
        with self._lock:
            self._inflight += 1
            self.max_concurrent = max(self.max_concurrent, self._inflight)
        try:
            return await self._generate(request)
        except GoogleError as exc:
            return json_answer(exc.body(), exc.code)
        finally:
            with self._lock:
                self._inflight -= 1

    async def _generate(self, request: Request) -> Response:
        record, body_ok = await self._record(request)
        model_id, _, method = request.path_params["target"].partition(":")
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and (response := await self._early_fault(fault, model_id)) is not None:
            return response
        if (refusal := self.authorise(request, self.target(request, model_id))) is not None:
            return refusal
        if method != "generateContent":
            raise GoogleError(404, f"Method {method or '(none)'} is not served by this fake.")
        if (missing := self.model_missing(request, model_id)) is not None:
            raise missing
        if not body_ok:
            raise bad_request("Invalid JSON payload received. Unexpected token.")
        model = self.models[model_id]
        parsed = parse(record.json, model, vertex=self.vertex)
        if fault is not None and (response := self._late_fault(fault, model, parsed)) is not None:
            return response
        await self._sleep(self.delay)
        answer = answers.success(model, parsed, vertex=self.vertex, reply_text=self.reply_text,
                                 images=self.images_per_answer, thoughts=self._thoughts(model))
        with self._lock:
            self.answers.append(answer)
        return json_answer(answer)

    def _thoughts(self, model: ImageModel) -> int:
        if self.thoughts_tokens is not None:
            return self.thoughts_tokens
        return answers.THINKING_TOKENS if model.thinking else 0

    async def _early_fault(self, fault: Fault, model_id: str) -> Response | None:
        if fault.kind == "hang":
            await self._sleep(30.0 if fault.delay is None else fault.delay)
            return None
        await self._sleep(fault.delay or 0.0)
        if fault.kind == "status":
            status = fault.status or 500
            return json_answer(fault.body or error_body(status, f"Fake upstream error (HTTP {status})."), status,
                               fault.headers)
        if fault.kind == "rate_limit":
            body = fault.body or answers.rate_limited(model_id, vertex=self.vertex, retry_delay=fault.retry_delay)
            return json_answer(body, 429, fault.headers)
        if fault.kind in ERROR_KINDS:
            body = fault.body or answers.status_error(fault.kind, vertex=self.vertex, model_id=model_id)
            return json_answer(body, ERROR_KINDS[fault.kind], fault.headers)
        return None

    def _late_fault(self, fault: Fault, model: ImageModel, parsed: Parsed) -> Response | None:
        thoughts, vertex = self._thoughts(model), self.vertex
        if fault.kind == "blocked":
            body = answers.blocked(model, parsed, fault.reason or "PROHIBITED_CONTENT", vertex=vertex)
        elif fault.kind == "finish":
            body = answers.finished(model, parsed, fault.reason or "IMAGE_SAFETY", vertex=vertex, thoughts=thoughts)
        elif fault.kind == "text_only":
            body = answers.text_only(model, parsed, vertex=vertex, text=fault.reason, thoughts=thoughts)
        elif fault.kind == "bad_json":
            return Response(TRUNCATED, 200, fault.headers, media_type="application/json; charset=UTF-8")
        else:
            return None
        return json_answer(body, 200, fault.headers)


class FakeGemini(GoogleUpstream):
    """The Gemini API (``generativelanguage.googleapis.com``): ``base_url`` is ``{origin}/v1beta``."""

    def __init__(self, api_key: str = GEMINI_KEY, models: dict[str, ImageModel] | None = None) -> None:
        self.api_key = api_key
        super().__init__("fake-gemini", models)
        self.base_url = ""

    def routes(self) -> list[Route]:
        return [Route("/v1beta/models/{target}", self.generate, methods=["POST"])]

    def __enter__(self) -> FakeGemini:
        self.base_url = f"{self.start()}/v1beta"
        return self

    def authorise(self, request: Request, target: str) -> Response | None:
        if "key" in request.query_params:
            return json_answer(error_body(400, "This fake refuses API keys in the query string (?key=); "
                                               "send the x-goog-api-key header."), 400)
        key = request.headers.get("x-goog-api-key")
        if key is None:
            return json_answer(error_body(403, "Method doesn't allow unregistered callers (callers without "
                                               "established identity). Please use API Key or other form of API "
                                               "consumer identity to call this API."), 403)
        if key != self.api_key:
            info = answers.error_info("API_KEY_INVALID", answers.GEMINI)
            return json_answer(error_body(400, "API key not valid. Please pass a valid API key.", info), 400)
        return None


class FakeVertex(GoogleUpstream):
    """Vertex AI (``aiplatform.googleapis.com``) with its own OAuth token endpoint at ``token_uri``."""

    vertex = True

    def __init__(self, *, projects: tuple[str, ...] = ("imagegate-test-project",), express_key: str = VERTEX_KEY,
                 token_expires_in: int = 3600, models: dict[str, ImageModel] | None = None) -> None:
        self.projects = projects
        self.express_key = express_key
        self.issuer = TokenIssuer(expires_in=token_expires_in)
        super().__init__("fake-vertex", models)
        self.token_uri = ""

    def routes(self) -> list[Route]:
        prefix = "/{version}/projects/{project}/locations/{location}"
        return [Route("/token", self.issuer.handle, methods=["POST"]),
                Route(prefix + "/publishers/google/models/{target}", self.generate, methods=["POST"]),
                Route("/{version}/publishers/google/models/{target}", self.generate, methods=["POST"])]

    def __enter__(self) -> FakeVertex:
        self.token_uri = self.issuer.token_uri = f"{self.start()}/token"
        return self

    def service_account(self, directory: Path, **kwargs: Any) -> ServiceAccount:
        """Write a service-account key file for the first project, trusted by this fake's token endpoint."""
        kwargs.setdefault("project_id", self.projects[0])
        account = make_service_account(directory, self.token_uri, **kwargs)
        self.issuer.register(account)
        return account

    def reset(self) -> None:
        super().reset()
        self.issuer.reset()

    def target(self, request: Request, model_id: str) -> str:
        params = request.path_params
        if "project" in params:
            return (f"projects/{params['project']}/locations/{params['location']}/publishers/google/models/"
                    f"{model_id}")
        return f"publishers/google/models/{model_id}"

    def model_missing(self, request: Request, model_id: str) -> GoogleError | None:
        model, location = self.models.get(model_id), request.path_params.get("location", "global")
        if model is None or location not in model.locations:
            return GoogleError(404, f"Publisher Model `{self.target(request, model_id)}` was not found or your "
                                    "project does not have access to it. Please ensure you are using a valid model "
                                    "version.")
        return None

    def authorise(self, request: Request, target: str) -> Response | None:
        params = request.path_params
        if params["version"] not in ("v1", "v1beta1"):
            return json_answer(error_body(404, f"API version {params['version']} is not served."), 404)
        if "key" in request.query_params:
            return json_answer(error_body(400, "This fake refuses API keys in the query string (?key=); "
                                               "send the x-goog-api-key header."), 400)
        auth, key = request.headers.get("authorization", ""), request.headers.get("x-goog-api-key")
        if auth.lower().startswith("bearer ") and "project" in params:
            state = self.issuer.status(auth[7:].strip())
            if state != "valid":
                reason = "ACCESS_TOKEN_EXPIRED" if state == "expired" else "ACCESS_TOKEN_TYPE_UNSUPPORTED"
                return json_answer(error_body(401, "Request had invalid authentication credentials. Expected OAuth 2 "
                                                   "access token, login cookie or other valid authentication "
                                                   "credential.", answers.error_info(reason, answers.VERTEX)), 401)
        elif key is not None:
            if key != self.express_key:
                info = answers.error_info("API_KEY_INVALID", answers.VERTEX)
                return json_answer(error_body(400, "API key not valid. Please pass a valid API key.", info), 400)
        else:
            return json_answer(error_body(401, "Request is missing required authentication credential. Expected "
                                               "OAuth 2 access token, login cookie or other valid authentication "
                                               "credential."), 401)
        if "project" in params and params["project"] not in self.projects:
            return json_answer(error_body(403, f"Permission 'aiplatform.endpoints.predict' denied on resource "
                                               f"'//aiplatform.googleapis.com/{target}' (or it may not exist)."), 403)
        return None

    def issue_token(self) -> str:
        """A valid access token without the JWT dance (counted in ``issuer.issued``)."""
        return self.issuer.mint()

