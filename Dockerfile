# coffre, stateless app image: the database, the blob store and the keyring live outside it.
# Dependencies come from the hashed lock (requirements/app.lock, made by scripts/lock.sh).
FROM python:3.11-slim AS build
RUN python -m venv /opt/coffre
COPY requirements/app.lock /tmp/app.lock
RUN /opt/coffre/bin/pip install --no-cache-dir --require-hashes -r /tmp/app.lock
WORKDIR /src
COPY pyproject.toml README.md ./
COPY vault vault
COPY keys keys
COPY storage storage
COPY webui webui
RUN /opt/coffre/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 coffre
COPY --from=build /opt/coffre /opt/coffre
ENV PATH=/opt/coffre/bin:$PATH
USER coffre
EXPOSE 8000
CMD ["coffre", "serve", "--host", "0.0.0.0", "--port", "8000"]
