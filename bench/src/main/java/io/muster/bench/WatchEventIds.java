package io.muster.bench;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * A Watch method whose responses are decoded into what {@link WatchFanoutBench} measures, the
 * number {@code n} of every event's instance id {@code "i<n>"} (-1 for any other id), without
 * building the protobuf objects. The benchmark JVM shares the cores with the nodes; decoding
 * 100,000 full messages a second there (and collecting their garbage) would be charged to the
 * server's fan-out latency. Every byte of every message is still read, and every event counted.
 */
final class WatchEventIds {

    // WatchResponse.events = 5, Event.instance = 3, Instance.id = 2
    private static final int EVENTS = tag(5);
    private static final int INSTANCE = tag(3);
    private static final int ID = tag(2);
    private static final int[] NONE = new int[0];
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[8192]);

    static final MethodDescriptor<WatchRequest, int[]> METHOD = MethodDescriptor.<WatchRequest, int[]>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(RegistryGrpc.getWatchMethod().getFullMethodName())
            .setRequestMarshaller(ProtoUtils.marshaller(WatchRequest.getDefaultInstance()))
            .setResponseMarshaller(new Marshaller())
            .build();

    private WatchEventIds() {
    }

    private static int tag(int field) {
        return field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }

    private static final class Marshaller implements MethodDescriptor.Marshaller<int[]> {
        @Override
        public InputStream stream(int[] value) {
            throw new UnsupportedOperationException("the benchmark only receives watch responses");
        }

        @Override
        public int[] parse(InputStream stream) {
            try {
                byte[] buf = BUFFERS.get();
                int n = 0;
                for (int r; (r = stream.read(buf, n, buf.length - n)) > 0; ) {
                    n += r;
                    if (n == buf.length) {
                        buf = Arrays.copyOf(buf, buf.length * 2);
                        BUFFERS.set(buf);
                    }
                }
                return ids(buf, n);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The id numbers of the events in one serialized WatchResponse, in order. */
    static int[] ids(byte[] message, int length) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(message, 0, length);
        int[] ids = NONE;
        int count = 0;
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (tag != EVENTS) {
                in.skipField(tag);
                continue;
            }
            int eventLimit = in.pushLimit(in.readRawVarint32());
            int id = -1;
            for (int t; (t = in.readTag()) != 0; ) {
                if (t != INSTANCE) {
                    in.skipField(t);
                    continue;
                }
                int instanceLimit = in.pushLimit(in.readRawVarint32());
                for (int u; (u = in.readTag()) != 0; ) {
                    if (u == ID) {
                        id = idNumber(in);
                    } else {
                        in.skipField(u);
                    }
                }
                in.popLimit(instanceLimit);
            }
            in.popLimit(eventLimit);
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, Math.max(1, count * 2));
            }
            ids[count++] = id;
        }
        return count == ids.length ? ids : Arrays.copyOf(ids, count);
    }

    /** {@code "i<digits>"} as a number, -1 for anything else. */
    private static int idNumber(CodedInputStream in) throws IOException {
        int len = in.readRawVarint32();
        if (len < 2 || len > 10) {
            in.skipRawBytes(len);
            return -1;
        }
        boolean ok = in.readRawByte() == 'i';
        int v = 0;
        for (int k = 1; k < len; k++) {
            int d = in.readRawByte() - '0';
            ok &= d >= 0 && d <= 9;
            v = v * 10 + d;
        }
        return ok ? v : -1;
    }

    /** Fails unless the ids decoded from {@code response} are its events' id numbers. */
    static void check(io.muster.api.v1.WatchResponse response, int... expected) throws IOException {
        byte[] bytes = response.toByteArray();
        int[] got = ids(bytes, bytes.length);
        if (!Arrays.equals(got, expected)) {
            throw new IllegalStateException("event id decoder: " + Arrays.toString(got) + " (expected " + Arrays.toString(expected) + ")");
        }
    }
}
