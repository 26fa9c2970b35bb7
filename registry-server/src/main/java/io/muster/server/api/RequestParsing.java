package io.muster.server.api;

import com.google.protobuf.Message;
import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Answers a request whose bytes do not parse with
 * {@code INVALID_ARGUMENT: request: cannot be parsed as muster.v1.RegisterRequest (...)} instead of
 * grpc-java's {@code UNKNOWN: Application error processing RPC} (grpc-java treats a failing request
 * marshaller as an application error).
 *
 * <p>{@link #bind} rebinds every method of a service with a request marshaller that never throws:
 * it yields a {@code Parsed} value holding either the request or the parse failure, and a handler
 * wrapper unwraps it for the original handler, which (with the interceptors bound inside it) sees
 * the original method and request type. On a failure the wrapper closes the call itself and
 * delivers nothing more to the handler except a final {@code onCancel}, so a streaming handler
 * releases what the stream held. The service descriptor keeps its schema descriptor, so server
 * reflection still describes the service.
 */
public final class RequestParsing {

    private RequestParsing() {
    }

    /** The request as parsed, or why it did not parse. */
    record Parsed<Q>(Q request, String error) {
    }

    public static ServerServiceDefinition bind(BindableService service) {
        return bind(service.bindService());
    }

    public static ServerServiceDefinition bind(ServerServiceDefinition bound) {
        ServiceDescriptor original = bound.getServiceDescriptor();
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        for (ServerMethodDefinition<?, ?> m : bound.getMethods()) {
            ServerMethodDefinition<?, ?> wrapped = wrap(m);
            descriptor.addMethod(wrapped.getMethodDescriptor());
            methods.add(wrapped);
        }
        ServerServiceDefinition.Builder rebound = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(rebound::addMethod);
        return rebound.build();
    }

    private static <Q, R> ServerMethodDefinition<Parsed<Q>, R> wrap(ServerMethodDefinition<Q, R> m) {
        MethodDescriptor<Q, R> method = m.getMethodDescriptor();
        MethodDescriptor<Parsed<Q>, R> parsing = method.toBuilder(
                new ParsingMarshaller<>(method.getRequestMarshaller(), typeName(method)), method.getResponseMarshaller()).build();
        return ServerMethodDefinition.create(parsing, new Handler<>(method, m.getServerCallHandler()));
    }

    private static String typeName(MethodDescriptor<?, ?> method) {
        if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
                && p.getMessagePrototype() instanceof Message message) {
            return message.getDescriptorForType().getFullName();
        }
        return "the request of " + method.getFullMethodName();
    }

    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String s = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private static final class ParsingMarshaller<Q> implements MethodDescriptor.Marshaller<Parsed<Q>> {
        private final MethodDescriptor.Marshaller<Q> delegate;
        private final String typeName;

        ParsingMarshaller(MethodDescriptor.Marshaller<Q> delegate, String typeName) {
            this.delegate = delegate;
            this.typeName = typeName;
        }

        @Override
        public InputStream stream(Parsed<Q> value) {
            return delegate.stream(value.request());
        }

        @Override
        public Parsed<Q> parse(InputStream stream) {
            try {
                return new Parsed<>(delegate.parse(stream), null);
            } catch (RuntimeException e) {
                return new Parsed<>(null, "request: cannot be parsed as " + typeName + " (" + describe(e) + ")");
            }
        }
    }

    private static final class Handler<Q, R> implements ServerCallHandler<Parsed<Q>, R> {
        private final MethodDescriptor<Q, R> method;
        private final ServerCallHandler<Q, R> next;

        Handler(MethodDescriptor<Q, R> method, ServerCallHandler<Q, R> next) {
            this.method = method;
            this.next = next;
        }

        @Override
        public ServerCall.Listener<Parsed<Q>> startCall(ServerCall<Parsed<Q>, R> call, Metadata headers) {
            Unwrapped<Q, R> unwrapped = new Unwrapped<>(call, method);
            return new Listener<>(next.startCall(unwrapped, headers), unwrapped);
        }
    }

    /** Delivers parsed requests; after a parse failure, only the call's end (as a cancellation). */
    private static final class Listener<Q, R> extends ServerCall.Listener<Parsed<Q>> {
        private final ServerCall.Listener<Q> delegate;
        private final Unwrapped<Q, R> call;
        private boolean refused; // listener callbacks are serialized

        Listener(ServerCall.Listener<Q> delegate, Unwrapped<Q, R> call) {
            this.delegate = delegate;
            this.call = call;
        }

        @Override
        public void onMessage(Parsed<Q> message) {
            if (refused) {
                return;
            }
            if (message.error() != null) {
                refused = true;
                call.closeOnce(Status.INVALID_ARGUMENT.withDescription(message.error()), new Metadata());
                return;
            }
            delegate.onMessage(message.request());
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                delegate.onHalfClose();
            }
        }

        @Override
        public void onReady() {
            if (!refused) {
                delegate.onReady();
            }
        }

        @Override
        public void onComplete() {
            if (refused) {
                delegate.onCancel(); // the handler never saw the call end normally
            } else {
                delegate.onComplete();
            }
        }

        @Override
        public void onCancel() {
            delegate.onCancel();
        }
    }

    /** The call as the original handler sees it: its own method descriptor and request type. */
    private static final class Unwrapped<Q, R> extends ServerCall<Q, R> {
        private final ServerCall<Parsed<Q>, R> call;
        private final MethodDescriptor<Q, R> method;
        private final AtomicBoolean closed = new AtomicBoolean();
        /** Set once a parse failure closed the call: the handler's late writes are dropped. */
        private volatile boolean refused;

        Unwrapped(ServerCall<Parsed<Q>, R> call, MethodDescriptor<Q, R> method) {
            this.call = call;
            this.method = method;
        }

        /** Closes unless the handler already did (a handler may close from another thread). */
        void closeOnce(Status status, Metadata trailers) {
            if (closed.compareAndSet(false, true)) {
                refused = true;
                call.close(status, trailers);
            }
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (!closed.compareAndSet(false, true)) {
                if (refused) {
                    return; // the handler has not seen the end of the call yet
                }
                throw new IllegalStateException("call already closed"); // as grpc-java's own call
            }
            call.close(status, trailers);
        }

        @Override
        public void request(int numMessages) {
            call.request(numMessages);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            if (!refused) {
                call.sendHeaders(headers);
            }
        }

        @Override
        public void sendMessage(R message) {
            if (!refused) {
                call.sendMessage(message);
            }
        }

        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public boolean isCancelled() {
            return call.isCancelled();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            call.setMessageCompression(enabled);
        }

        @Override
        public void setCompression(String compressor) {
            call.setCompression(compressor);
        }

        @Override
        public void setOnReadyThreshold(int numBytes) {
            call.setOnReadyThreshold(numBytes);
        }

        @Override
        public SecurityLevel getSecurityLevel() {
            return call.getSecurityLevel();
        }

        @Override
        public Attributes getAttributes() {
            return call.getAttributes();
        }

        @Override
        public String getAuthority() {
            return call.getAuthority();
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return method;
        }
    }
}
