// A Next.js-style app's in-app guide, as Knock's docs write it with @knocklabs/react: KnockProvider,
// KnockGuideProvider on the guide channel, and the prebuilt <Banner /> (useGuide on the `banner`
// message type: marks its step seen when shown, archived when dismissed). Bundled by build.js and
// served from another origin than Doorstep by tests/test_knock_react_browser.py; its settings
// come from window.KNOCK.
import { createRoot } from "react-dom/client";
import { Banner, KnockGuideProvider, KnockProvider } from "@knocklabs/react";
import "@knocklabs/react/dist/index.css";

const { apiKey, host, userId, channelId } = window.KNOCK;

createRoot(document.getElementById("root")).render(
  <KnockProvider apiKey={apiKey} host={host} userId={userId}>
    <KnockGuideProvider channelId={channelId} readyToTarget={true}>
      <Banner />
    </KnockGuideProvider>
  </KnockProvider>,
);
