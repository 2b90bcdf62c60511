# syntax=docker/dockerfile:1
# Streakbot image: build a wheel in one stage, run it slim in the next.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 1000 streakbot
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY data/default_config.toml data/default_config.toml
COPY data/sample data/sample
RUN mkdir -p /app/data && chown -R streakbot /app/data
USER streakbot
ENV STREAKBOT_DATABASE=/app/data/streakbot.db \
    STREAKBOT_CONFIG=/app/data/default_config.toml \
    PYTHONUNBUFFERED=1
VOLUME ["/app/data"]
ENTRYPOINT ["streakbot"]
# With STREAKBOT_TOKEN: `docker run -e STREAKBOT_TOKEN=... -v streakbot:/app/data streakbot run`.
CMD ["sandbox"]
