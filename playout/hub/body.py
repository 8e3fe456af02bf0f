"""Reading a request's body within a limit, for every endpoint that takes one."""

from __future__ import annotations

import anyio
from fastapi import HTTPException, Request

BODY_SECONDS = 60.0  # a body that takes longer to arrive is cut off (a slow client)


async def read_limited(request: Request, limit: int) -> bytes:
    """The request's body, refused (413) as soon as it passes ``limit`` bytes: never read whole
    first (a 600 MiB body must not grow the hub by 600 MiB)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(BODY_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"the body is larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise HTTPException(408, f"the body did not arrive within {BODY_SECONDS:.0f} s") from None
    return b"".join(chunks)
