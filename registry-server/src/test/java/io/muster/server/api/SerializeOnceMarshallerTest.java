package io.muster.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.testkit.UnitTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The same message instance streams the same bytes, serialized once; distinct instances never share
 * bytes, even when they collide in the cache; the Watch method is rebound without losing the schema.
 */
@UnitTest
class SerializeOnceMarshallerTest {

    static WatchResponse events(String id, long revision) {
        return WatchResponse.newBuilder().setKind(WatchResponse.Kind.EVENTS).setRevision(revision)
                .addEvents(Event.newBuilder().setType(EventType.REGISTERED).setRevision(revision)
                        .setInstance(Instance.newBuilder().setService("svc").setId(id).setHost("h").setPort(1).putMetadata("k", "v")))
                .build();
    }

    static byte[] drain(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = ((Drainable) in).drainTo(out);
        assertThat(n).isEqualTo(out.size());
        return out.toByteArray();
    }

    final SerializeOnceMarshaller<WatchResponse> marshaller = new SerializeOnceMarshaller<>(WatchResponse.getDefaultInstance(),
            r -> r.getKind() == WatchResponse.Kind.EVENTS, 16);

    @Test
    void oneInstanceIsSerializedOnceAndStreamsIdenticalBytes() throws IOException {
        WatchResponse shared = events("i1", 7);
        InputStream first = marshaller.stream(shared);
        InputStream second = marshaller.stream(shared);

        assertThat(first).isInstanceOf(KnownLength.class);
        assertThat(first.available()).isEqualTo(shared.getSerializedSize());
        byte[] a = drain(first);
        byte[] b = drain(second);
        assertThat(b).isEqualTo(a).isEqualTo(shared.toByteArray());
        assertThat(marshaller.serializations()).isEqualTo(1);
        assertThat(marshaller.parse(marshaller.stream(shared))).isEqualTo(shared);
    }

    @Test
    void distinctInstancesNeverShareBytesEvenInOneSlot() throws IOException {
        SerializeOnceMarshaller<WatchResponse> oneSlot = new SerializeOnceMarshaller<>(WatchResponse.getDefaultInstance(), r -> true, 1);
        WatchResponse x = events("x", 1);
        WatchResponse y = events("y", 1);
        WatchResponse xAgain = events("x", 1);

        assertThat(drain(oneSlot.stream(x))).isEqualTo(x.toByteArray());
        assertThat(drain(oneSlot.stream(y))).isEqualTo(y.toByteArray());
        assertThat(drain(oneSlot.stream(x))).isEqualTo(x.toByteArray());
        // equal content, different instance: cached by identity only
        assertThat(drain(oneSlot.stream(xAgain))).isEqualTo(x.toByteArray());
        assertThat(oneSlot.serializations()).isEqualTo(4);
    }

    @Test
    void messagesNotSharedAreNotCached() throws IOException {
        WatchResponse progress = WatchResponse.newBuilder().setKind(WatchResponse.Kind.PROGRESS).setRevision(9).build();

        assertThat(marshaller.parse(marshaller.stream(progress))).isEqualTo(progress);
        assertThat(marshaller.parse(marshaller.stream(progress))).isEqualTo(progress);
        assertThat(marshaller.serializations()).isZero();
    }

    @Test
    void rebindingReplacesOnlyTheWatchMarshallerAndKeepsTheSchema() {
        RegistryGrpc.RegistryImplBase service = new RegistryGrpc.RegistryImplBase() {
            @Override
            public void watch(WatchRequest request, StreamObserver<WatchResponse> responseObserver) {
            }
        };
        ServerServiceDefinition original = service.bindService();
        ServerServiceDefinition rebound = SharedWatchResponses.rebind(original, marshaller);

        assertThat(rebound.getServiceDescriptor().getSchemaDescriptor()).isSameAs(original.getServiceDescriptor().getSchemaDescriptor());
        assertThat(rebound.getServiceDescriptor().getName()).isEqualTo(RegistryGrpc.SERVICE_NAME);
        assertThat(rebound.getMethods()).hasSameSizeAs(original.getMethods());
        MethodDescriptor<?, ?> watch = rebound.getMethod(RegistryGrpc.getWatchMethod().getFullMethodName()).getMethodDescriptor();
        assertThat(watch.getResponseMarshaller()).isSameAs(marshaller);
        assertThat(watch.getSchemaDescriptor()).isSameAs(RegistryGrpc.getWatchMethod().getSchemaDescriptor());
        assertThat(rebound.getMethod(RegistryGrpc.getRegisterMethod().getFullMethodName()).getMethodDescriptor())
                .isSameAs(RegistryGrpc.getRegisterMethod());
    }
}
