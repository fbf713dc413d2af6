FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/kt1
COPY pyproject.toml README.md ./
COPY api ./api
COPY vetting ./vetting
COPY policies ./policies
COPY crypto ./crypto
RUN pip install --no-cache-dir . \
    && useradd --system --home /var/lib/kt1 kt1 \
    && mkdir -p /var/lib/kt1/keys && chown -R kt1 /var/lib/kt1 && chmod 700 /var/lib/kt1/keys
USER kt1
EXPOSE 8000
# `kt1vet serve` migrates the database, loads reference data, then serves.
CMD ["kt1vet", "serve"]
