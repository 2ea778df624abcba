# coffre, stateless app image: the database, the blob store and the keyring live outside it.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 coffre
WORKDIR /app
COPY pyproject.toml README.md ./
COPY vault vault
COPY keys keys
COPY storage storage
COPY webui webui
RUN pip install --no-cache-dir .
USER coffre
EXPOSE 8000
CMD ["coffre", "serve", "--host", "0.0.0.0", "--port", "8000"]
