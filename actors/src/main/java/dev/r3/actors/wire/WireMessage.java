package dev.r3.actors.wire;

/**
 * Marker of every message that may cross a node: bound once, in {@code reference.conf}, to {@link
 * KryoSerializer}, which refuses any class not listed in {@link WireRegistry}.
 */
public interface WireMessage {}
