package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.muster.testkit.UnitTest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

@UnitTest
class ProxyHeadersHopByHopTest {

  @Test
  void upstreamRequestLosesHopByHopHeadersAndGainsForwardedOnes() {
    HttpRequest in = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/x");
    in.headers().set(HttpHeaderNames.HOST, "shop.example.com")
        .set(HttpHeaderNames.CONNECTION, "keep-alive, X-Secret")
        .set("X-Secret", "1")
        .set("Keep-Alive", "timeout=5")
        .set(HttpHeaderNames.PROXY_AUTHORIZATION, "Basic xyz")
        .set("Proxy-Connection", "keep-alive")
        .set(HttpHeaderNames.TE, "trailers")
        .set(HttpHeaderNames.UPGRADE, "h2c")
        .set(HttpHeaderNames.TRANSFER_ENCODING, "chunked")
        .set("X-Forwarded-For", "10.0.0.1")
        .set("X-Custom", "kept");
    HttpRequest out = ProxyHeaders.toUpstream(in, "/x", new InetSocketAddress("127.0.0.1", 5555));
    for (String gone : new String[] {"connection", "x-secret", "keep-alive", "proxy-authorization", "proxy-connection",
        "te", "upgrade"}) {
      assertNull(out.headers().get(gone), gone);
    }
    assertEquals("chunked", out.headers().get(HttpHeaderNames.TRANSFER_ENCODING), "framing is redone by the codec");
    assertEquals("10.0.0.1, 127.0.0.1", out.headers().get("x-forwarded-for"));
    assertEquals("http", out.headers().get("x-forwarded-proto"));
    assertEquals("shop.example.com", out.headers().get("x-forwarded-host"));
    assertEquals("shop.example.com", out.headers().get(HttpHeaderNames.HOST));
    assertEquals("kept", out.headers().get("x-custom"));
    assertEquals("/x", out.uri());
  }

  @Test
  void aResponseWithoutLengthIsChunkedForHttp11AndCloseDelimitedForHttp10() {
    HttpResponse upstream = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    upstream.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked").set(HttpHeaderNames.CONNECTION, "close");

    HttpRequest http11 = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    ProxyHeaders.ClientHead h11 = ProxyHeaders.toClient(upstream, http11, true);
    assertEquals("chunked", h11.response().headers().get(HttpHeaderNames.TRANSFER_ENCODING));
    assertNull(h11.response().headers().get(HttpHeaderNames.CONNECTION), "backend's close is not the client's");

    HttpRequest http10 = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/");
    ProxyHeaders.ClientHead h10 = ProxyHeaders.toClient(upstream, http10, true);
    assertFalse(h10.keepAlive());
    assertNull(h10.response().headers().get(HttpHeaderNames.TRANSFER_ENCODING));
  }

  @Test
  void headResponsesKeepTheirContentLength() {
    HttpResponse upstream = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    upstream.headers().set(HttpHeaderNames.CONTENT_LENGTH, "1234");
    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.HEAD, "/");
    ProxyHeaders.ClientHead out = ProxyHeaders.toClient(upstream, head, true);
    assertEquals("1234", out.response().headers().get(HttpHeaderNames.CONTENT_LENGTH));
    assertNull(out.response().headers().get(HttpHeaderNames.TRANSFER_ENCODING));
  }
}
