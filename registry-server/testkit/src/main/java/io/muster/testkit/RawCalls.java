package io.muster.testkit;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * gRPC methods that send and receive raw bytes: how the hostile and malformed-request tests (and the
 * hostile probe of bench) put bodies on the wire that the generated stubs would never produce.
 */
public final class RawCalls {

    /** Bytes as they are: no parsing on either side. */
    public static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private RawCalls() {
    }

    /** {@code method} (name and type kept) with raw bytes for request and response. */
    public static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
        return method.toBuilder(BYTES, BYTES).build();
    }

    /** A unary method named {@code fullMethodName} ({@code service/method}) with raw bytes. */
    public static MethodDescriptor<byte[], byte[]> rawUnary(String fullMethodName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(fullMethodName)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }
}
