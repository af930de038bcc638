// The in-app feed of a Next.js-style app, as Knock's docs write it with @knocklabs/react: bundled
// by build.js with esbuild and served from another origin than Doorstep by
// tests/test_knock_react_browser.py. Its settings come from window.KNOCK, as a Next.js app's
// would come from NEXT_PUBLIC_KNOCK_API_KEY, NEXT_PUBLIC_KNOCK_FEED_ID and the `host` prop.
import { useEffect, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import {
  KnockFeedProvider,
  KnockProvider,
  NotificationFeedPopover,
  NotificationIconButton,
  useKnockClient,
  useKnockFeed,
} from "@knocklabs/react";
import "@knocklabs/react/dist/index.css";

// For the test to wait on (no sleeps): whether the feed's realtime channel is joined yet.
function useExposeFeedChannel() {
  const knock = useKnockClient();
  const { feedClient } = useKnockFeed();
  useEffect(() => {
    window.feedChannelJoined = () =>
      (knock.client().socket?.channels ?? []).some(
        (c) => c.topic === feedClient.socketChannelTopic && c.state === "joined",
      );
  }, [knock, feedClient]);
}

function Inbox() {
  const [isVisible, setIsVisible] = useState(false);
  const buttonRef = useRef(null);
  useExposeFeedChannel();
  return (
    <>
      <NotificationIconButton ref={buttonRef} onClick={() => setIsVisible(!isVisible)} />
      <NotificationFeedPopover
        buttonRef={buttonRef}
        isVisible={isVisible}
        onClose={() => setIsVisible(false)}
      />
    </>
  );
}

const { apiKey, host, userId, userToken, feedId } = window.KNOCK;

createRoot(document.getElementById("root")).render(
  <KnockProvider apiKey={apiKey} host={host} userId={userId} userToken={userToken}>
    <KnockFeedProvider feedId={feedId}>
      <Inbox />
    </KnockFeedProvider>
  </KnockProvider>,
);
