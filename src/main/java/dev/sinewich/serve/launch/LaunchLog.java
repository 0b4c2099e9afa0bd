package dev.sinewich.serve.launch;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** Says once, at start-up, which command-line arguments set what and which were not used. */
@ApplicationScoped
class LaunchLog {

    private static final Logger LOG = Logger.getLogger(LaunchLog.class);

    void onStart(@Observes StartupEvent event) {
        LaunchArguments args = Main.arguments();
        if (!args.properties().isEmpty()) {
            LOG.infof("Settings from the command line: %s", args.properties());
        }
        if (!args.ignored().isEmpty()) {
            LOG.infof("Ignoring command-line arguments this server does not use: %s", String.join(" ", args.ignored()));
        }
    }
}
