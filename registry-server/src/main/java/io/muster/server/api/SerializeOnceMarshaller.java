package io.muster.server.api;

import com.google.protobuf.Message;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * A protobuf marshaller that serializes a shared message instance once and streams the same bytes
 * for every call that sends it. The watch hub hands one immutable EVENTS message to every watcher
 * at the same position; without this, gRPC would serialize it once per watcher.
 *
 * <p>Messages for which {@code shared} is true are remembered by identity in a small direct-mapped
 * cache (slot by {@link System#identityHashCode}); a slot holds the last message serialized there,
 * so a collision costs a second serialization, never wrong bytes: a hit requires the very same
 * instance, and protobuf messages are immutable. Other messages, and parsing, go to the standard
 * protobuf marshaller. Thread-safe without locks.
 */
public final class SerializeOnceMarshaller<T extends Message> implements MethodDescriptor.PrototypeMarshaller<T> {

    private record Serialized(Object message, byte[] bytes) {
    }

    private final MethodDescriptor.PrototypeMarshaller<T> proto;
    private final Predicate<? super T> shared;
    private final AtomicReferenceArray<Serialized> slots;
    private final int mask;
    private final LongAdder serializations = new LongAdder();

    /**
     * @param defaultInstance the message type's default instance
     * @param shared which messages may be sent more than once (only those are cached)
     * @param slots cache size, a power of two
     */
    @SuppressWarnings("unchecked")
    public SerializeOnceMarshaller(T defaultInstance, Predicate<? super T> shared, int slots) {
        if (slots < 1 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots: " + slots + " (expected: a power of two)");
        }
        // grpc-protobuf's marshaller is a PrototypeMarshaller (declared as the plain interface)
        this.proto = (MethodDescriptor.PrototypeMarshaller<T>) ProtoUtils.marshaller(defaultInstance);
        this.shared = shared;
        this.slots = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
    }

    @Override
    public InputStream stream(T value) {
        if (!shared.test(value)) {
            return proto.stream(value);
        }
        int slot = System.identityHashCode(value) & mask;
        Serialized s = slots.get(slot);
        if (s == null || s.message() != value) {
            s = new Serialized(value, value.toByteArray());
            serializations.increment();
            slots.set(slot, s);
        }
        return new BytesStream(s.bytes());
    }

    @Override
    public T parse(InputStream stream) {
        return proto.parse(stream);
    }

    @Override
    public T getMessagePrototype() {
        return proto.getMessagePrototype();
    }

    @Override
    public Class<T> getMessageClass() {
        return proto.getMessageClass();
    }

    /** How many shared messages were serialized (cache misses). */
    long serializations() {
        return serializations.sum();
    }

    /**
     * Known length and drainable, so gRPC's framer sizes the frame up front and copies the bytes
     * straight into its transport buffer (no intermediate copy buffer).
     */
    private static final class BytesStream extends ByteArrayInputStream implements KnownLength, Drainable {

        BytesStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
