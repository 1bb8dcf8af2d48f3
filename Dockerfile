# syntax=docker/dockerfile:1
# GqaService: LLM inference microservice (ASP.NET Core + TorchSharp/libtorch CPU).
#   docker build -t gqa-service .
#   docker run --rm -p 8080:8080 -v "$PWD/models:/models:ro" -e Inference__ModelPath=/models/stories260K gqa-service
# See docs/deploy.md. Needs BuildKit (the default builder since Docker 23) for the NuGet cache mounts.

ARG DOTNET_TAG=10.0-noble

# ---- build: the same build and tests as CI (scripts/test.sh), then a linux-x64 publish --------------------------
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS build
# tests/deploy needs nginx and spare processes: it runs in CI (.ci/run), not inside the image build.
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    GQA_SKIP_DEPLOY_TESTS=1
# binutils: `strip` for docker/trim-natives.sh --strip; gcc + libc6-dev: the project's own CPU kernels
# (scripts/build-kernels.sh, run by the build; the library picks its AVX-512/AVX2 paths at run time, so the image
# built on one CPU runs on any x86-64).
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Tests that need ../shared/models skip themselves: the models are not part of the build context.
RUN --mount=type=cache,id=gqa-nuget,target=/root/.nuget/packages \
    ./scripts/test.sh
# Framework-dependent, linux-x64 natives only (no win/osx runtimes/), started with `dotnet GqaService.Api.dll`.
RUN --mount=type=cache,id=gqa-nuget,target=/root/.nuget/packages \
    dotnet publish src/Api -c Release -r linux-x64 --self-contained false -p:UseAppHost=false -o /app \
 && ./docker/trim-natives.sh --strip /app

# ---- runtime ---------------------------------------------------------------------------------------------------
# Ubuntu 24.04: its libstdc++ (GCC 14) provides GLIBCXX_3.4.32, which libLibTorchSharp.so needs, so the app's
# startup compatibility check leaves the natives untouched (they are read-only to the app user anyway).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG} AS runtime
LABEL org.opencontainers.image.title="GqaService" \
      org.opencontainers.image.description="LLM inference microservice (OpenAI-compatible completions, paged KV cache, GQA)"
WORKDIR /app
COPY --from=build /app ./
COPY --chmod=755 docker/healthcheck.sh /usr/local/bin/gqa-healthcheck
# Model files (a file or a directory per model) are mounted here; select one with Inference__ModelPath.
# Without a model the service serves its built-in random-weight demo model.
RUN mkdir -p /models
VOLUME ["/models"]
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 8080
# The aspnet images define the unprivileged user `app` (APP_UID=1654).
USER $APP_UID
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["gqa-healthcheck"]
# Every setting is an environment variable (Section__Key): Inference__ModelPath, Service__InstanceId, ...
ENTRYPOINT ["dotnet", "GqaService.Api.dll", "serve"]
