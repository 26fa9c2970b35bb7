package io.muster.gateway.observe;

/**
 * One finished request, as the access log writes it (one JSON object per line, these names as keys).
 *
 * @param startMillis when the gateway received the request head (epoch milliseconds, wall clock)
 * @param requestId the {@code X-Request-Id} sent upstream and to the client
 * @param method e.g. {@code GET}
 * @param authority the {@code Host} header (HTTP/2: {@code :authority}), or null
 * @param path the request target as the client sent it (before any rewrite)
 * @param protocol {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2.0}
 * @param grpc the call was handled as gRPC
 * @param status the status sent; 499 the client went away, -1 aborted after the answer started
 * @param bytesIn request body bytes received from the client
 * @param bytesOut response body bytes sent to the client
 * @param durationMicros from the request head to the end of the answer
 * @param upstream {@code host:port} of the last instance tried, or null
 * @param attempts instances tried (0: answered by the gateway, e.g. 404, 429)
 * @param route the route's name, or null when none matched
 */
public record AccessLogEntry(long startMillis, String requestId, String method, String authority, String path,
    String protocol, boolean grpc, int status, long bytesIn, long bytesOut, long durationMicros, String upstream,
    int attempts, String route) {}
