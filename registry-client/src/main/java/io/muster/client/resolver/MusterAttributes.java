package io.muster.client.resolver;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import java.util.Map;

/**
 * Attributes the Muster resolver sets on each {@link EquivalentAddressGroup}, so a load-balancing
 * policy can weigh or pick by zone:
 *
 * <pre>{@code
 * int weight = subchannel.getAddresses().getAttributes().get(MusterAttributes.WEIGHT);
 * }</pre>
 */
public final class MusterAttributes {

    /** The instance id. */
    public static final Attributes.Key<String> INSTANCE_ID = Attributes.Key.create("muster.instance-id");
    /** The registered weight (1 when none was set). */
    public static final Attributes.Key<Integer> WEIGHT = Attributes.Key.create("muster.weight");
    /** The zone; absent when the instance named none. */
    public static final Attributes.Key<String> ZONE = Attributes.Key.create("muster.zone");
    /** The instance's metadata (an immutable map). */
    public static final Attributes.Key<Map<String, String>> METADATA = Attributes.Key.create("muster.metadata");

    private MusterAttributes() {
    }
}
