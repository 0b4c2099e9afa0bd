package dev.sinewich.serve.api.rest;

import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;

/** When an HTTP exchange is over: its response written to the end, or its connection gone. */
public final class Answered {

    private Answered() {}

    /**
     * Returns a registrar of actions to run once the exchange is over.
     *
     * @param routing the exchange
     * @return the registrar, for {@link dev.sinewich.serve.api.Observed#call}
     */
    public static Consumer<Runnable> on(RoutingContext routing) {
        return action -> routing.addEndHandler(end -> action.run());
    }
}
