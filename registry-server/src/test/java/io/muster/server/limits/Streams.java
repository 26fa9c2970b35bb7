package io.muster.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.server.RegistryNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert;

/** Raw Watch and KeepAlive streams for the limit tests, and the member's stream counts. */
final class Streams {
    private Streams() {
    }

    static final String WATCH = RegistryGrpc.getWatchMethod().getFullMethodName();
    static final String KEEP_ALIVE = RegistryGrpc.getKeepAliveMethod().getFullMethodName();

    /** Counted streams open on the member's client connections, by method. */
    static int counted(RegistryNode node, String method) {
        return (int) node.meters().get("muster.connection.streams").tag("method", method).gauge().value();
    }

    /** Client connections with a counted stream open. */
    static int connections(RegistryNode node) {
        return (int) node.meters().get("muster.connections.with.streams").gauge().value();
    }

    static void assertStatus(Throwable t, Status.Code code, String description) {
        assertThat(t).isInstanceOf(StatusRuntimeException.class);
        Status s = ((StatusRuntimeException) t).getStatus();
        assertThat(s.getCode()).as(s.toString()).isEqualTo(code);
        assertThat(s.getDescription()).isEqualTo(description);
    }

    static void assertStatus(ThrowableAssert.ThrowingCallable call, Status.Code code, String description) {
        try {
            call.call();
        } catch (Throwable t) {
            assertStatus(t, code, description);
            return;
        }
        throw new AssertionError("expected " + code + ": " + description);
    }

    /** One Watch stream: counts its messages, records how it ended. */
    static final class Watch {
        final AtomicInteger messages = new AtomicInteger();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        private final AtomicReference<ClientCallStreamObserver<WatchRequest>> call = new AtomicReference<>();

        Watch(Channel channel, WatchRequest request, AtomicInteger opened) {
            RegistryGrpc.newStub(channel).watch(request, new ClientResponseObserver<WatchRequest, WatchResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                    call.set(requestStream);
                }

                @Override
                public void onNext(WatchResponse value) {
                    if (messages.getAndIncrement() == 0 && opened != null) {
                        opened.incrementAndGet();
                    }
                }

                @Override
                public void onError(Throwable t) {
                    error.compareAndSet(null, t);
                }

                @Override
                public void onCompleted() {
                    error.compareAndSet(null, new IllegalStateException("watch ended"));
                }
            });
        }

        Watch(Channel channel, String service) {
            this(channel, WatchRequest.newBuilder().addServices(service).setProgressIntervalMs(1000).build(), null);
        }

        boolean serving() {
            return messages.get() > 0 && error.get() == null;
        }

        void cancel() {
            call.get().cancel("test closes the watch", null);
        }
    }

    /** One KeepAlive stream: sends what it is told, records the answers and how it ended. */
    static final class KeepAlive {
        final List<KeepAliveResponse> responses = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        private final ClientCallStreamObserver<KeepAliveRequest> requests;

        @SuppressWarnings("unchecked")
        KeepAlive(Channel channel, AtomicInteger answered) {
            requests = (ClientCallStreamObserver<KeepAliveRequest>) RegistryGrpc.newStub(channel).keepAlive(new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(KeepAliveResponse value) {
                    responses.add(value);
                    if (answered != null) {
                        answered.incrementAndGet();
                    }
                }

                @Override
                public void onError(Throwable t) {
                    error.compareAndSet(null, t);
                }

                @Override
                public void onCompleted() {
                    error.compareAndSet(null, new IllegalStateException("keep-alive ended"));
                }
            });
        }

        KeepAlive(Channel channel) {
            this(channel, null);
        }

        KeepAlive send(long leaseId) {
            synchronized (requests) {
                requests.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
            }
            return this;
        }

        void complete() {
            synchronized (requests) {
                requests.onCompleted();
            }
        }

        void cancel() {
            requests.cancel("test closes the keep-alive", null);
        }
    }
}
